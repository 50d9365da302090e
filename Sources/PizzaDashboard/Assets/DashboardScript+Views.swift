extension DashboardScript {
    /// The events, event, order and failed views: functions of the script's one scope (they use its
    /// helpers `el`, `api`, `statusBadge`… and its `main`, `readOnly`, `generation`).
    static let views = #"""
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

        """#
}
