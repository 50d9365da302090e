/// The page's script (served as `/assets/dashboard.js`): hash routes for the overview, events,
/// an event, an order and the failed events; the overview's numbers and SVG charts fed by the
/// sampler's Server-Sent Events. Every value goes into the page as text (`textContent`), never
/// as markup, so customer data cannot become script.
enum DashboardScript {
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

          // ---- events ----
          function eventsTable(events, actions) {
            const head = ["Seq", "Created", "Type", "Order", "Status", "Attempts", "Last error"];
            if (actions) head.push("");
            return el("table", { id: "events" }, [
              el("thead", {}, [el("tr", {}, head.map(function (h, i) { return el("th", { class: i === 0 || i === 5 ? "num" : null, text: h }); }))]),
              el("tbody", {}, events.length ? events.map(function (e) {
                const row = el("tr", { class: "clickable", "data-event-id": e.id }, [
                  el("td", { class: "num", text: e.seq }),
                  el("td", { text: time(e.created_at) }),
                  el("td", { text: e.type }),
                  el("td", {}, [link("#/orders/" + encodeURIComponent(e.order_id), e.order_id)]),
                  el("td", {}, [statusBadge(e.status)]),
                  el("td", { class: "num", text: e.attempts }),
                  el("td", { class: "error", text: e.last_error || "" }),
                ]);
                row.addEventListener("click", function (event) {
                  if (event.target.closest("a, button")) return;
                  window.location.hash = "#/events/" + encodeURIComponent(e.id);
                });
                if (actions) row.appendChild(el("td", {}, [actions(e)]));
                return row;
              }) : [el("tr", {}, [el("td", { colspan: head.length, class: "muted", text: "no events" })])]),
            ]);
          }
          async function renderEvents(params, token) {
            const status = params.get("status") || "";
            const query = new URLSearchParams();
            if (status) query.set("status", status);
            if (params.get("before")) query.set("before", params.get("before"));
            if (params.get("q")) query.set("q", params.get("q"));
            const page = await api("/api/events?" + query.toString());
            if (stale(token)) return;
            clear(main);
            main.appendChild(el("h2", { text: params.get("q") ? "Events matching " + params.get("q") : "Events, newest first" }));
            const select = el("select", { id: "status-filter", "aria-label": "Status" }, ["", "pending", "completed", "failed"].map(function (s) {
              return el("option", { value: s, text: s || "any status", selected: s === status ? "selected" : null });
            }));
            select.addEventListener("change", function () {
              window.location.hash = "#/events" + (select.value ? "?status=" + select.value : "");
            });
            const toolbar = el("div", { class: "toolbar" }, [select]);
            if (page.next_before) {
              const next = new URLSearchParams(query);
              next.set("before", page.next_before);
              toolbar.appendChild(link("#/events?" + next.toString(), "Older →"));
            }
            if (params.get("before")) toolbar.appendChild(link("#/events" + (status ? "?status=" + status : ""), "Newest"));
            main.appendChild(toolbar);
            main.appendChild(eventsTable(page.events));
          }

          function retryButton(id, onDone) {
            const button = el("button", { class: "primary", type: "button", "data-retry": id, text: "Retry" });
            button.addEventListener("click", async function () {
              button.disabled = true;
              try {
                const result = await api("/api/events/" + encodeURIComponent(id) + "/retry", { method: "POST" });
                onDone(null, result);
              } catch (error) {
                onDone(error);
              }
            });
            return button;
          }
          function message(text, isError) {
            let node = document.getElementById("action-result");
            if (!node) { node = el("p", { id: "action-result" }); main.insertBefore(node, main.children[1] || null); }
            node.className = "message" + (isError ? " error" : "");
            node.textContent = text;
          }

          async function renderEvent(id, token) {
            const detail = await api("/api/events/" + encodeURIComponent(id));
            if (stale(token)) return;
            const e = detail.event;
            clear(main);
            main.appendChild(el("h2", { text: e.event_type + " " + e.id }));
            const statusCell = el("dd", { id: "event-status" }, [statusBadge(e.status)]);
            main.appendChild(el("dl", { id: "event-detail" }, [
              el("dt", { text: "Event id" }), el("dd", { text: e.id }),
              el("dt", { text: "Seq" }), el("dd", { text: e.seq }),
              el("dt", { text: "Order" }), el("dd", {}, [link("#/orders/" + encodeURIComponent(e.aggregate_id), e.aggregate_id)]),
              el("dt", { text: "Status" }), statusCell,
              el("dt", { text: "Attempts" }), el("dd", { id: "event-attempts", text: e.attempts }),
              el("dt", { text: "Last error" }), el("dd", { class: "error", text: e.last_error || "–" }),
              el("dt", { text: "Created" }), el("dd", { text: time(e.created_at) }),
              el("dt", { text: "Due" }), el("dd", { text: time(e.available_at) }),
              el("dt", { text: "Published" }), el("dd", { text: time(e.published_at) }),
              el("dt", { text: "Trace id" }), el("dd", { id: "trace-id", text: detail.trace_id || "–" }),
            ]));
            if (e.status === "failed" && !readOnly) {
              main.appendChild(el("div", { class: "toolbar" }, [retryButton(e.id, function (error, result) {
                if (error) { message(error.message, true); return; }
                clear(statusCell);
                statusCell.appendChild(statusBadge(result.event.status));
                document.getElementById("event-attempts").textContent = result.event.attempts;
                message("Requeued: the relay publishes it again.");
              })]));
            }
            main.appendChild(el("h2", { text: "Took effect" }));
            const effects = {};
            detail.effects.forEach(function (f) { effects[f.group] = f; });
            main.appendChild(el("table", { id: "effects" }, [
              el("thead", {}, [el("tr", {}, ["Group", "Took effect", "Deliveries"].map(function (h) { return el("th", { text: h }); }))]),
              el("tbody", {}, detail.groups.length ? detail.groups.map(function (g) {
                const f = effects[g];
                return el("tr", { "data-group": g }, [
                  el("td", { text: g }),
                  el("td", { text: f ? "yes, " + time(f.applied_at) : "not yet" }),
                  el("td", { text: f ? f.delivery_count : "–" }),
                ]);
              }) : [el("tr", {}, [el("td", { colspan: 3, class: "muted", text: "no consumer groups known" })])]),
            ]));
            main.appendChild(el("h2", { text: "Payload" }));
            main.appendChild(el("pre", { id: "payload", text: JSON.stringify(e.payload, null, 2) }));
            main.appendChild(el("h2", { text: "Headers" }));
            main.appendChild(el("pre", { id: "headers", text: JSON.stringify(e.headers, null, 2) }));
          }

          async function renderOrder(id, token) {
            const timeline = await api("/api/orders/" + encodeURIComponent(id));
            if (stale(token)) return;
            clear(main);
            main.appendChild(el("h2", { text: "Order " + id }));
            const o = timeline.order;
            if (o) {
              main.appendChild(el("dl", { id: "order-detail" }, [
                el("dt", { text: "Customer" }), el("dd", { id: "order-customer", text: o.user_name }),
                el("dt", { text: "Address" }), el("dd", { text: o.address }),
                el("dt", { text: "Pizza" }), el("dd", { text: o.quantity + " × " + o.flavor + " (" + o.size + ")" }),
                el("dt", { text: "Status" }), el("dd", { text: o.status }),
              ]));
            }
            main.appendChild(el("h2", { text: "Timeline" }));
            main.appendChild(el("ol", { class: "timeline", id: "timeline" }, timeline.entries.map(function (entry) {
              const item = el("li", { class: entry.kind }, [el("time", { text: time(entry.time) }), entry.text]);
              if (entry.event_id) { item.appendChild(document.createTextNode(" ")); item.appendChild(link("#/events/" + entry.event_id, "event")); }
              return item;
            })));
          }

          async function renderFailed(token) {
            if (token === undefined) token = ++generation;
            const page = await api("/api/events?status=failed&limit=500");
            if (stale(token)) return;
            clear(main);
            main.appendChild(el("h2", { text: "Failed events" }));
            const toolbar = el("div", { class: "toolbar", id: "failed-toolbar" });
            main.appendChild(toolbar);
            if (!readOnly && page.events.length) {
              const all = el("button", { class: "danger", type: "button", id: "retry-all", text: "Retry all…" });
              all.addEventListener("click", function () {
                clear(toolbar);
                const confirm = el("button", { class: "danger", type: "button", id: "retry-all-confirm", text: "Yes, requeue every failed event" });
                const cancel = el("button", { type: "button", id: "retry-all-cancel", text: "Cancel" });
                cancel.addEventListener("click", function () { renderFailed().catch(showError); });
                confirm.addEventListener("click", async function () {
                  confirm.disabled = true;
                  try {
                    const result = await api("/api/events/retry-failed", { method: "POST" });
                    await renderFailed();
                    message("Requeued " + result.requeued + " failed events.");
                  } catch (error) { message(error.message, true); }
                });
                toolbar.appendChild(el("span", { text: "Requeue all " + page.events.length + (page.next_before ? "+" : "") + " failed events? " }));
                toolbar.appendChild(confirm);
                toolbar.appendChild(cancel);
              });
              toolbar.appendChild(all);
            }
            main.appendChild(eventsTable(page.events, readOnly ? null : function (e) {
              return retryButton(e.id, function (error, result) {
                const row = main.querySelector('tr[data-event-id="' + CSS.escape(e.id) + '"]');
                if (error) { message(error.message, true); return; }
                if (row) {
                  const cell = row.children[4];
                  clear(cell);
                  cell.appendChild(statusBadge(result.event.status));
                }
                message("Requeued " + e.id + ": it is pending again.");
              });
            }));
          }

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
