"""An OTLP/HTTP receiver for scripts/otlp-check, decoding with OpenTelemetry's own protocol
definitions (the opentelemetry-proto package), and the checks it makes of what arrived.

  python otlp_receiver.py serve PORT DIR     # appends each request, decoded, to DIR/{traces,metrics,logs}.jsonl
  python otlp_receiver.py check DIR ORDERS   # ORDERS: the order ids, one per line; exit 1 on any finding
"""
import base64
import gzip
import json
import sys
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest, ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

SIGNALS = {
    "/v1/traces": ("traces", ExportTraceServiceRequest, ExportTraceServiceResponse),
    "/v1/metrics": ("metrics", ExportMetricsServiceRequest, ExportMetricsServiceResponse),
    "/v1/logs": ("logs", ExportLogsServiceRequest, ExportLogsServiceResponse),
}


def serve(port, folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            signal = SIGNALS.get(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if signal is None:
                self.send_error(404)
                return
            name, request_type, response_type = signal
            request = request_type()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                from google.protobuf.json_format import Parse

                Parse(body, request)
            else:
                request.ParseFromString(body)
            with open(folder / f"{name}.jsonl", "a") as out:
                out.write(json.dumps(MessageToDict(request)) + "\n")
            answer = response_type().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()


def hex_ids(item):
    """OTLP JSON carries ids as base64 bytes; W3C and trace viewers show them as hex."""
    for key in ("traceId", "spanId", "parentSpanId"):
        if item.get(key):
            item[key] = base64.b64decode(item[key]).hex()
    for link in item.get("links", []):
        hex_ids(link)
    return item


def attributes(item):
    values = {}
    for attribute in item.get("attributes", []):
        value = attribute["value"]
        values[attribute["key"]] = next(iter(value.values())) if value else None
    return values


def read(folder, name):
    path = Path(folder) / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# What each signal's export request nests: resources, their scopes, and the items of a scope.
SHAPES = {
    "traces": ("resourceSpans", "scopeSpans", "spans"),
    "metrics": ("resourceMetrics", "scopeMetrics", "metrics"),
    "logs": ("resourceLogs", "scopeLogs", "logRecords"),
}


def items(folder, signal):
    """Every span, metric or log record that arrived, with its ids in hex and its service's name."""
    resources_key, scopes_key, items_key = SHAPES[signal]
    for request in read(folder, signal):
        for resource in request.get(resources_key, []):
            service = attributes(resource.get("resource", {})).get("service.name")
            for scope in resource.get(scopes_key, []):
                for item in scope.get(items_key, []):
                    hex_ids(item)
                    item["service"] = service
                    item["attrs"] = attributes(item)
                    yield item


def check(folder, orders_file):
    orders = [line.strip() for line in Path(orders_file).read_text().splitlines() if line.strip()]
    spans = list(items(folder, "traces"))
    by_id = {span["spanId"]: span for span in spans}
    by_trace = defaultdict(list)
    for span in spans:
        by_trace[span["traceId"]].append(span)
    children = defaultdict(list)
    for span in spans:
        if span.get("parentSpanId"):
            children[span["parentSpanId"]].append(span)
    linked_from = defaultdict(list)
    for span in spans:
        for link in span.get("links", []):
            linked_from[link["spanId"]].append(span)

    findings = []
    shown = False

    def expect(condition, order, what):
        if not condition:
            findings.append(f"order {order}: {what}")
        return condition

    def single(order, candidates, what):
        expect(len(candidates) >= 1, order, f"no {what}")
        return candidates[0] if candidates else None

    for order in orders:
        transactions = [s for s in spans if s["name"] == "pizza.order.transaction" and s["attrs"].get("pizza.order.id") == order]
        transaction = single(order, transactions, "pizza.order.transaction span")
        if transaction is None:
            continue
        trace = by_trace[transaction["traceId"]]
        server = by_id.get(transaction.get("parentSpanId"))
        expect(server is not None and server["kind"] == "SPAN_KIND_SERVER" and server["service"] == "pizza-producer-api",
               order, "the transaction span's parent is not the producer's server span")
        expect(transaction["service"] == "pizza-producer-api", order, "transaction span not from pizza-producer-api")
        event_id = transaction["attrs"].get("outbox.event.id")
        processes = [s for s in children[transaction["spanId"]] if s["name"] == "outbox.process"]
        expect(any(s["service"] == "pizza-job" for s in processes), order, "no outbox.process span of pizza-job under the transaction")
        creates = [s for s in children[transaction["spanId"]] if s["name"] == "create pizza-orders"]
        create = single(order, creates, "create pizza-orders span under the transaction")
        if create is None:
            continue
        a = create["attrs"]
        expect(create["service"] == "pizza-job" and create["kind"] == "SPAN_KIND_PRODUCER", order, "create span not a producer span of pizza-job")
        expect(a.get("messaging.system") == "redis" and a.get("messaging.destination.name") == "pizza-orders"
               and a.get("messaging.operation.type") == "create" and a.get("messaging.message.id") == event_id,
               order, f"create span attributes {a}")
        sends = [s for s in linked_from[create["spanId"]] if s["name"] == "send pizza-orders"]
        send = single(order, sends, "send pizza-orders span linking to the create span")
        if send is not None:
            expect(send["service"] == "pizza-job" and send["kind"] == "SPAN_KIND_CLIENT"
                   and send["attrs"].get("messaging.operation.type") == "send"
                   and int(send["attrs"].get("messaging.batch.message_count", 0)) >= 1,
                   order, f"send span {send['attrs']}")
            expect(not send.get("parentSpanId"), order, "the batch's send span pretends a parent")
        consumes = [s for s in children[create["spanId"]] if s["name"] == "process pizza-orders"]
        consume = single(order, consumes, "process pizza-orders span under the create span")
        if consume is None:
            continue
        a = consume["attrs"]
        expect(consume["service"] == "pizza-consumer-api" and consume["kind"] == "SPAN_KIND_CONSUMER", order, "process span not a consumer span")
        expect(a.get("messaging.operation.type") == "process" and a.get("messaging.message.id") == event_id
               and a.get("messaging.consumer.group.name"), order, f"process span attributes {a}")
        inbox = [s for s in children[consume["spanId"]] if s["name"] == "pizza.inbox.transaction"]
        inbox += [s for s in linked_from[consume["spanId"]] if s["name"] == "pizza.inbox.transaction"]
        expect(len(inbox) >= 1, order, "no inbox transaction under (or linking to) the process span")
        services = {s["service"] for s in trace}
        expect(services >= {"pizza-producer-api", "pizza-job", "pizza-consumer-api"}, order, f"trace spans only {services}")
        if not shown and not findings:
            shown = True
            print(f"one order's trace ({order}, trace {transaction['traceId']}):")
            show = trace + [s for s in sends + inbox if s not in trace]
            for span in sorted(show, key=lambda s: int(s["startTimeUnixNano"])):
                links = ",".join(link["spanId"] for link in span.get("links", []))
                print(f"  {span['service']:<20} {span['name']:<24} {span['kind'].replace('SPAN_KIND_', ''):<9}"
                      f" span {span['spanId']} parent {span.get('parentSpanId', '-') or '-'}"
                      f"{' links ' + links if links else ''}"
                      f"{'' if span['traceId'] == transaction['traceId'] else ' (own trace)'}")

    retried = [s for s in spans if s["name"] == "outbox.process" and any(e["name"] == "outbox.event.retry_scheduled" for e in s.get("events", []))]
    if not retried:
        findings.append("no outbox.process span records a retry (the job runs with --failure-rate)")
    elif not all(s.get("status", {}).get("code") == "STATUS_CODE_ERROR" for s in retried):
        findings.append("a retried outbox.process span does not have the error status")
    elif not all(any(e["name"] == "exception" for e in s.get("events", [])) for s in retried):
        findings.append("a retried outbox.process span does not record the exception")

    metric_names = defaultdict(set)
    for metric in items(folder, "metrics"):
        metric_names[metric["service"]].add(metric["name"])
    for service, name in [("pizza-producer-api", "pizza_orders_accepted_total"), ("pizza-job", "outbox_events_published_total"),
                          ("pizza-consumer-api", "consumer_events_acked_total")]:
        if name not in metric_names[service]:
            findings.append(f"metrics: {service} sent no {name} (got {sorted(metric_names[service])})")

    traced_logs = defaultdict(int)
    order_traces = {s["traceId"] for s in spans if s["name"] == "pizza.order.transaction"}
    for record in items(folder, "logs"):
        if record.get("traceId") in order_traces and record.get("spanId"):
            traced_logs[record["service"]] += 1
    for service in ["pizza-producer-api", "pizza-job", "pizza-consumer-api"]:
        if traced_logs[service] == 0:
            findings.append(f"logs: no log record of {service} carries an order's trace and span id")

    print(f"spans {len(spans)}, traces {len(by_trace)}, orders {len(orders)}; "
          f"metrics from {sorted(metric_names)}; log records in order traces {dict(traced_logs)}")
    for finding in findings[:40]:
        print("FINDING:", finding)
    return 1 if findings or not orders else 0


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))
