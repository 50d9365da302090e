/// The page's script (served as `/assets/dashboard.js`): hash routes for the overview, events,
/// an event, an order and the failed events; the overview's numbers and SVG charts fed by the
/// sampler's Server-Sent Events. Every value goes into the page as text (`textContent`), never
/// as markup, so customer data cannot become script.
enum DashboardScript {
    /// The whole script: helpers, charts and the overview here, the other views from
    /// `DashboardScript+Views.swift` spliced in, then routing and the live samples — one scope.
    static let source = #"""
        "use strict";
        (function () {
          const csrf = document.querySelector('meta[name="csrf-token"]').content;
          const readOnly = document.querySelector('meta[name="read-only"]').content === "true";
          const main = document.getElementById("main");
          const live = document.getElementById("live");
          const keep = 900;
          let samples = [];
          let info = { has_broker: false, has_consumer_database: false, topic: "" };
          let view = null;
          // Each navigation's number: a render whose data arrives after a newer navigation drops it.
          let generation = 0;
          function stale(token) { return token !== generation; }

          // ---- small DOM helpers: text only ----
          function el(tag, attributes, children) {
            const node = document.createElement(tag);
            for (const [name, value] of Object.entries(attributes || {})) {
              if (value === null || value === undefined || value === false) continue;
              if (name === "text") node.textContent = String(value);
              else if (name === "onclick") node.addEventListener("click", value);
              else node.setAttribute(name, String(value));
            }
            for (const child of children || []) {
              if (child === null || child === undefined) continue;
              node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
            }
            return node;
          }
          const svgNS = "http://www.w3.org/2000/svg";
          function svg(tag, attributes) {
            const node = document.createElementNS(svgNS, tag);
            for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
            return node;
          }
          function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
          function number(value, digits) {
            if (value === null || value === undefined) return "–";
            return Number(value).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 0 : digits });
          }
          function milliseconds(seconds) { return seconds === null || seconds === undefined ? "–" : number(seconds * 1000, 1) + " ms"; }
          function age(seconds) {
            if (seconds === null || seconds === undefined) return "none pending";
            if (seconds < 1) return number(seconds * 1000, 0) + " ms";
            if (seconds < 120) return number(seconds, 1) + " s";
            return number(seconds / 60, 1) + " min";
          }
          function time(text) { return text ? new Date(text).toLocaleString() : "–"; }
          function statusBadge(status) { return el("span", { class: "status " + status, text: status }); }
          function link(href, text) { return el("a", { href: href, text: text }); }

          async function api(path, options) {
            const init = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
            if (init.method && init.method !== "GET") init.headers["X-CSRF-Token"] = csrf;
            const response = await fetch(path, init);
            if (response.status === 401) { window.location.assign("/login"); throw new Error("signed out"); }
            const body = await response.json();
            if (!response.ok) throw new Error((body.error && body.error.message) || body.message || ("HTTP " + response.status));
            return body;
          }
          function showError(error) {
            clear(main);
            main.appendChild(el("p", { class: "message error", id: "error", text: error.message }));
          }

          // ---- charts ----
          function chart(id, series, secondSeries) {
            const width = 300, height = 60;
            const node = svg("svg", { id: id, viewBox: "0 0 " + width + " " + height, preserveAspectRatio: "none", role: "img" });
            node.appendChild(svg("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5 }));
            const values = series.concat(secondSeries || []).filter(function (v) { return v !== null && v !== undefined; });
            const top = Math.max(1e-9, Math.max.apply(null, values.length ? values : [0]));
            function points(list) {
              const step = width / Math.max(1, keep - 1);
              const offset = keep - list.length;
              const result = [];
              list.forEach(function (value, index) {
                if (value === null || value === undefined) return;
                const x = (offset + index) * step;
                const y = height - 2 - (value / top) * (height - 6);
                result.push(x.toFixed(1) + "," + y.toFixed(1));
              });
              return result.join(" ");
            }
            node.appendChild(svg("polyline", { points: points(series), class: "first" }));
            if (secondSeries) node.appendChild(svg("polyline", { points: points(secondSeries), class: "second" }));
            node.setAttribute("aria-label", "last 15 minutes, peak " + number(top, 2));
            return node;
          }

          // ---- overview ----
          function card(id, label, value, sub, series, second, alert) {
            return el("div", { class: "card" + (alert ? " alert" : ""), id: "card-" + id }, [
              el("div", { class: "label", text: label }),
              el("div", { class: "value", text: value }),
              el("div", { class: "sub", text: sub || "" }),
              chart("chart-" + id, series, second),
            ]);
          }
          function atLeast(count, limit) { return (count >= limit ? "≥ " : "") + number(count); }
          function renderOverview() {
            const s = samples.length ? samples[samples.length - 1] : null;
            clear(main);
            if (!s) { main.appendChild(el("p", { text: "Waiting for the first sample…" })); return; }
            const pick = function (f) { return samples.map(f); };
            const cards = el("div", { class: "cards" }, [
              card("orders", "Orders / s", number(s.orders_per_second, 1), "events stored / s " + number(s.events_per_second, 1),
                   pick(function (x) { return x.orders_per_second; })),
              card("published", "Events published / s", info.has_broker ? number(s.published_per_second, 1) : "–",
                   info.has_broker ? "to " + info.topic : "no broker monitor", pick(function (x) { return x.published_per_second; })),
              card("pending", "Pending", atLeast(s.pending, s.count_limit), "oldest " + age(s.oldest_pending_age_seconds),
                   pick(function (x) { return x.pending; }), null, s.pending > 0 && s.oldest_pending_age_seconds > 10),
              card("oldest", "Oldest pending", age(s.oldest_pending_age_seconds), "the relay's lag",
                   pick(function (x) { return x.oldest_pending_age_seconds || 0; })),
              card("failed", "Failed", atLeast(s.failed, s.count_limit), s.failed ? "parked: see Failed" : "none parked",
                   pick(function (x) { return x.failed; }), null, s.failed > 0),
              card("completed", "Completed", (s.completed_is_estimate ? "≈ " : "") + number(s.completed),
                   s.completed_is_estimate ? "the planner's estimate" : "published and marked", pick(function (x) { return x.completed; })),
              card("latency", "Commit → effect p50 / p99",
                   info.has_consumer_database ? milliseconds(s.latency_p50) + " / " + milliseconds(s.latency_p99) : "–",
                   info.has_consumer_database ? number(s.effects) + " effects in the last sample" : "no consumer database",
                   pick(function (x) { return x.latency_p50; }), pick(function (x) { return x.latency_p99; })),
            ]);
            main.appendChild(el("h2", { text: "Overview" }));
            main.appendChild(cards);
            main.appendChild(el("h2", { text: "Consumer groups" }));
            // Each group's history: read/s (from its delivered count), lag and pending, p50 and p99.
            function groupSeries(name, field) {
              return samples.map(function (x) {
                const g = x.groups.find(function (y) { return y.name === name; });
                return g ? g[field] : null;
              });
            }
            function readRate(name) {
              const delivered = groupSeries(name, "delivered");
              return delivered.map(function (value, i) {
                if (i === 0 || value === null || value === undefined || delivered[i - 1] === null || delivered[i - 1] === undefined) return null;
                return Math.max(0, value - delivered[i - 1]) / Math.max(0.001, samples[i].time - samples[i - 1].time);
              });
            }
            function spark(id, first, second) {
              const node = chart(id, first, second);
              node.setAttribute("class", "spark");
              return node;
            }
            const rows = s.groups.map(function (g, index) {
              return el("tr", { "data-group": g.name }, [
                el("td", { text: g.name }),
                el("td", { class: "num", text: number(g.delivered) }),
                el("td", { class: "chart" }, [spark("chart-group-" + index + "-read", readRate(g.name))]),
                el("td", { class: "num", text: number(g.lag) }),
                el("td", { class: "num", text: number(g.pending) }),
                el("td", { class: "chart" }, [spark("chart-group-" + index + "-backlog", groupSeries(g.name, "lag"), groupSeries(g.name, "pending"))]),
                el("td", { class: "num", text: number(g.members) }),
                el("td", { class: "num", text: g.idle_seconds === null || g.idle_seconds === undefined ? "–" : age(g.idle_seconds) }),
                el("td", { class: "num", text: milliseconds(g.latency_p50) }),
                el("td", { class: "num", text: milliseconds(g.latency_p99) }),
                el("td", { class: "chart" }, [spark("chart-group-" + index + "-latency", groupSeries(g.name, "latency_p50"), groupSeries(g.name, "latency_p99"))]),
              ]);
            });
            const headings = ["Group", "Delivered", "Read / s", "Lag", "Pending", "Lag · pending", "Members", "Idle", "p50", "p99", "p50 · p99"];
            main.appendChild(el("table", { id: "groups" }, [
              el("thead", {}, [el("tr", {}, headings.map(function (h, i) {
                return el("th", { class: i ? "num" : null, text: h });
              }))]),
              el("tbody", {}, rows.length ? rows : [el("tr", {}, [el("td", { colspan: headings.length, class: "muted", text: "no consumer groups yet" })])]),
            ]));
            if (s.errors && s.errors.length) main.appendChild(el("p", { class: "message error", text: "last sample incomplete: " + s.errors.join("; ") }));
            main.appendChild(el("p", { class: "muted", text: "Sampled " + new Date(s.time * 1000).toLocaleTimeString() + "; charts show the last 15 minutes." }));
          }

        \#(views)
          // ---- routing ----
          async function route() {
            const hash = window.location.hash || "#/overview";
            const [path, queryText] = hash.slice(1).split("?");
            const params = new URLSearchParams(queryText || "");
            const parts = path.split("/").filter(Boolean);
            const token = ++generation;
            view = parts[0] || "overview";
            document.querySelectorAll("nav a").forEach(function (a) {
              a.classList.toggle("active", a.id === "nav-" + (view === "orders" ? "events" : view));
            });
            try {
              if (view === "overview") renderOverview();
              else if (view === "events" && parts[1]) await renderEvent(decodeURIComponent(parts[1]), token);
              else if (view === "events") await renderEvents(params, token);
              else if (view === "orders" && parts[1]) await renderOrder(decodeURIComponent(parts[1]), token);
              else if (view === "failed") await renderFailed(token);
              else { view = "overview"; renderOverview(); }
            } catch (error) {
              if (!stale(token)) showError(error);
            }
          }
          window.addEventListener("hashchange", route);
          document.getElementById("search").addEventListener("submit", function (event) {
            event.preventDefault();
            const q = document.getElementById("search-input").value.trim();
            if (q) window.location.hash = "#/events?q=" + encodeURIComponent(q);
          });
          const signOut = document.getElementById("sign-out");
          if (signOut) signOut.addEventListener("click", async function () {
            await fetch("/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
            window.location.assign("/login");
          });

          // ---- live samples ----
          function connect() {
            const source = new EventSource("/api/stream");
            source.addEventListener("open", function () { live.className = "live on"; live.textContent = "live"; });
            source.addEventListener("sample", function (event) {
              samples.push(JSON.parse(event.data));
              if (samples.length > keep) samples.splice(0, samples.length - keep);
              if (view === "overview") renderOverview();
            });
            source.addEventListener("error", function () { live.className = "live off"; live.textContent = "reconnecting…"; });
          }
          api("/api/overview").then(function (overview) {
            samples = overview.samples;
            info = overview;
            route();
            connect();
          }).catch(showError);
        })();
        """#
}
