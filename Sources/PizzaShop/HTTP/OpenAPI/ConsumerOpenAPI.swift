/// The consumer API's OpenAPI 3.1 document, served at `/openapi.json`.
enum ConsumerOpenAPI {
    static let document = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Pizza Outbox consumer API",
            "version": "1.0.0",
            "description": "What one consumer received: CloudEvents envelopes, newest first, and counters."
          },
          "paths": {
            "/events": {
              "get": {
                "operationId": "listEvents",
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}],
                "responses": {
                  "200": {"description": "Envelopes as received, newest first", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Envelope"}
                  }}}},
                  "400": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/stats": {
              "get": {
                "operationId": "stats",
                "responses": {"200": {"description": "Counters", "content": {"application/json": {"schema": {
                  "type": "object", "required": ["received", "first_at", "last_at"],
                  "properties": {
                    "received": {"type": "integer", "minimum": 0},
                    "first_at": {"type": ["string", "null"], "format": "date-time"},
                    "last_at": {"type": ["string", "null"], "format": "date-time"}
                  }
                }}}}}
              }
            },
            "/healthz": {"get": {"operationId": "health", "responses": {"200": {"description": "The process is up", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/readyz": {"get": {"operationId": "ready", "responses": {
              "200": {"description": "Subscribed", "content": {"application/json": {"schema": {"type": "object"}}}},
              "503": {"$ref": "#/components/responses/Error"}
            }}},
            "/metrics": {"get": {"operationId": "metrics", "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}
          },
          "components": {
            "responses": {
              "Error": {"description": "An error", "content": {"application/json": {"schema": {
                "type": "object", "required": ["error"],
                "properties": {"error": {
                  "type": "object", "required": ["code", "message"],
                  "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}
                }}
              }}}}
            },
            "schemas": {
              "Envelope": {
                "type": "object",
                "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
                "properties": {
                  "specversion": {"const": "1.0"}, "id": {"type": "string"}, "source": {"type": "string"},
                  "type": {"type": "string"}, "subject": {"type": "string"},
                  "time": {"type": "string", "format": "date-time"}, "datacontenttype": {"type": "string"},
                  "traceparent": {"type": "string"}, "previousid": {"type": "string"}, "data": {}
                }
              }
            }
          }
        }
        """#
}
