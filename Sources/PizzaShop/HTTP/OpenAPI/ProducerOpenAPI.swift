/// The producer API's OpenAPI 3.1 document, served at `/openapi.json`. Kept by hand next to the
/// routes it describes; `scripts/api-check` runs schemathesis against the running API with it. The
/// admin operations are in it only when the API serves them (with an admin token).
enum ProducerOpenAPI {
    /// The document for an API with or without the admin routes.
    static func document(includingAdmin: Bool) -> String {
        guard includingAdmin else { return head + "\n" + tail }
        let components = "\"components\": {\n"
        return head + "\n" + admin + "\n"
            + tail.replacingOccurrences(
                of: components,
                with: components + #"    "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer"}},"# + "\n"
            )
    }

    private static let head = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Pizza Outbox producer API",
            "version": "1.0.0",
            "description": "Orders and their status changes; each is stored with its outbox event in one transaction."
          },
          "paths": {
            "/pizza": {
              "post": {
                "operationId": "createOrder",
                "summary": "Store an order and its PizzaOrderCreated event in one transaction",
                "parameters": [
                  {"name": "Idempotency-Key", "in": "header", "required": false,
                   "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
                   "description": "A repeat with the same key and order returns the original order (200)."},
                  {"name": "traceparent", "in": "header", "required": false, "schema": {"type": "string"}}
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewOrder"}}}},
                "responses": {
                  "201": {"description": "Stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
                          "links": {
                            "GetOrder": {"operationId": "getOrder", "parameters": {"id": "$response.body#/id"}},
                            "ChangeOrderStatus": {"operationId": "changeOrderStatus", "parameters": {"id": "$response.body#/id"}}
                          }},
                  "200": {"description": "A repeat of an earlier request with the same Idempotency-Key", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "409": {"description": "The Idempotency-Key was used with a different order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                  "413": {"$ref": "#/components/responses/Error"},
                  "415": {"$ref": "#/components/responses/Error"},
                  "422": {"$ref": "#/components/responses/Error"},
                  "503": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/pizza/{id}": {
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
              "get": {
                "operationId": "getOrder",
                "summary": "The order and the delivery state of each of its events",
                "responses": {
                  "200": {"description": "The order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderView"}}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"},
                  "503": {"$ref": "#/components/responses/Error"}
                }
              },
              "patch": {
                "operationId": "changeOrderStatus",
                "summary": "Move the order to a new status and store its OrderStatusChanged event in one transaction",
                "parameters": [{"name": "traceparent", "in": "header", "required": false, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["status"],
                  "properties": {"status": {"type": "string", "enum": ["baking", "out_for_delivery", "delivered", "cancelled"]}}
                }}}},
                "responses": {
                  "200": {"description": "Changed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"},
                  "409": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"},
                  "415": {"$ref": "#/components/responses/Error"},
                  "422": {"$ref": "#/components/responses/Error"},
                  "503": {"$ref": "#/components/responses/Error"}
                }
              }
            },
        """#

    private static let admin = #"""
            "/admin/outbox": {
              "get": {
                "operationId": "listOutbox",
                "summary": "Outbox events, oldest first (needs the admin token)",
                "security": [{"adminToken": []}],
                "parameters": [
                  {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["pending", "completed", "failed"]}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                  {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}}
                ],
                "responses": {
                  "200": {"description": "A page", "links": {
                            "RetryEvent": {"operationId": "retryEvent", "parameters": {"id": "$response.body#/events/0/id"}}
                          }, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["events", "next_after"],
                    "properties": {
                      "events": {"type": "array", "items": {"$ref": "#/components/schemas/OutboxEvent"}},
                      "next_after": {"type": ["integer", "null"]}
                    }
                  }}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/admin/outbox/stats": {
              "get": {
                "operationId": "outboxStats",
                "security": [{"adminToken": []}],
                "responses": {
                  "200": {"description": "Counts", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["pending", "completed", "failed", "oldest_pending_age_seconds"],
                    "properties": {
                      "pending": {"type": "integer"}, "completed": {"type": "integer"}, "failed": {"type": "integer"},
                      "oldest_pending_age_seconds": {"type": ["number", "null"]}
                    }
                  }}}},
                  "401": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/admin/outbox/retry-failed": {
              "post": {
                "operationId": "retryFailed",
                "security": [{"adminToken": []}],
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}}],
                "responses": {
                  "200": {"description": "Requeued", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["requeued"], "properties": {"requeued": {"type": "integer"}}
                  }}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/admin/outbox/{id}/retry": {
              "post": {
                "operationId": "retryEvent",
                "security": [{"adminToken": []}],
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                "responses": {
                  "200": {"description": "Requeued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OutboxEvent"}}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"},
                  "409": {"$ref": "#/components/responses/Error"}
                }
              }
            },
        """#

    private static let tail = #"""
            "/healthz": {"get": {"operationId": "health", "responses": {"200": {"description": "The process is up", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/readyz": {"get": {"operationId": "ready", "responses": {
              "200": {"description": "The database answers", "content": {"application/json": {"schema": {"type": "object"}}}},
              "503": {"$ref": "#/components/responses/Error"}
            }}},
            "/metrics": {"get": {"operationId": "metrics", "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}
          },
          "components": {
            "responses": {
              "Error": {"description": "An error; nothing was stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "schemas": {
              "Text": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$", "description": "Not blank; no control characters; at most 200 Unicode code points"},
              "NewOrder": {
                "type": "object",
                "required": ["flavor", "size", "quantity", "price", "address", "user_name"],
                "properties": {
                  "flavor": {"$ref": "#/components/schemas/Text"},
                  "size": {"$ref": "#/components/schemas/Text"},
                  "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
                  "price": {"type": "number", "minimum": 0, "maximum": 99999999.99, "multipleOf": 0.01, "description": "In whole cents"},
                  "address": {"$ref": "#/components/schemas/Text"},
                  "user_name": {"$ref": "#/components/schemas/Text"}
                }
              },
              "Order": {
                "type": "object",
                "required": ["id", "flavor", "size", "quantity", "price", "address", "user_name", "created_at", "status", "event_id"],
                "properties": {
                  "id": {"type": "string", "format": "uuid"},
                  "flavor": {"type": "string"}, "size": {"type": "string"},
                  "quantity": {"type": "integer"}, "price": {"type": "number"},
                  "address": {"type": "string"}, "user_name": {"type": "string"},
                  "created_at": {"type": "string", "format": "date-time"},
                  "status": {"type": "string", "enum": ["received", "baking", "out_for_delivery", "delivered", "cancelled"]},
                  "event_id": {"type": "string", "format": "uuid"}
                }
              },
              "OrderView": {
                "allOf": [{"$ref": "#/components/schemas/Order"}, {
                  "type": "object", "required": ["events"],
                  "properties": {"events": {"type": "array", "items": {
                    "type": "object", "required": ["id", "type", "status", "attempts", "last_error", "published_at"],
                    "properties": {
                      "id": {"type": "string", "format": "uuid"}, "type": {"type": "string"},
                      "status": {"type": "string", "enum": ["pending", "completed", "failed"]},
                      "attempts": {"type": "integer"}, "last_error": {"type": ["string", "null"]},
                      "published_at": {"type": ["string", "null"], "format": "date-time"}
                    }
                  }}}
                }]
              },
              "OutboxEvent": {
                "type": "object",
                "required": ["id", "seq", "aggregate_type", "aggregate_id", "event_type", "status", "attempts", "last_error",
                             "available_at", "created_at", "published_at", "headers", "payload"],
                "properties": {
                  "id": {"type": "string", "format": "uuid"}, "seq": {"type": "integer"},
                  "aggregate_type": {"type": "string"}, "aggregate_id": {"type": "string"}, "event_type": {"type": "string"},
                  "status": {"type": "string", "enum": ["pending", "completed", "failed"]},
                  "attempts": {"type": "integer"}, "last_error": {"type": ["string", "null"]},
                  "available_at": {"type": "string", "format": "date-time"}, "created_at": {"type": "string", "format": "date-time"},
                  "published_at": {"type": ["string", "null"], "format": "date-time"},
                  "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                  "payload": {}
                }
              },
              "Error": {
                "type": "object", "required": ["error"],
                "properties": {"error": {
                  "type": "object", "required": ["code", "message"],
                  "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}
                }}
              }
            }
          }
        }
        """#
}
