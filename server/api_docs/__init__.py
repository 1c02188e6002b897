"""The OpenAPI 3.1 document of the whole HTTP API, assembled from what each routes module states.

`parts` holds the building blocks a routes module describes its paths with
(`OPENAPI_PATHS`); `document` merges every routed module's paths, and the
provider API's own document, into the one served at `GET /openapi.json`.
"""
