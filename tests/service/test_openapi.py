"""The OpenAPI document tells the truth: problem+json errors with their
shape, the API key scheme on every keyed operation, the real status codes."""

V1 = "/api/v1"
KEYED = {("post", "/recommendations"), ("post", "/recommendations/batch"), ("get", "/firms"), ("post", "/firms"),
         ("get", "/firms/{firm_id}"), ("patch", "/firms/{firm_id}"), ("delete", "/firms/{firm_id}"),
         ("get", "/firms/{firm_id}/recommendations"), ("post", "/firms/{firm_id}/recommendations"),
         ("get", "/firms/{firm_id}/recommendations/history"), ("get", "/feedback"), ("post", "/feedback"),
         ("post", "/jobs"), ("get", "/jobs"), ("get", "/jobs/{job_id}"), ("get", "/jobs/{job_id}/result"),
         ("get", "/jobs/{job_id}/errors")}


def resolve(spec, obj):
    while "$ref" in obj:
        node = spec
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def test_keyed_operations_document_security_and_errors(client):
    spec = client.get(f"{V1}/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
    for method, path in KEYED:
        op = spec["paths"][V1 + path][method]
        assert op.get("security") == [{"ApiKey": []}], (method, path)
        for code in ("401", "403", "429"):
            content = resolve(spec, op["responses"][code])["content"]
            assert list(content) == ["application/problem+json"], (method, path, code)
            assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
        if "{firm_id}" in path or "{job_id}" in path:
            assert "404" in op["responses"], (method, path)
    for method, path in (("post", "/recommendations"), ("post", "/recommendations/batch"), ("post", "/firms"),
                         ("post", "/jobs")):
        op = spec["paths"][V1 + path][method]
        assert {"413", "422"} <= set(op["responses"]), (method, path)
    assert "security" not in spec["paths"][V1 + "/healthz"]["get"]
    assert "security" not in spec["paths"][V1 + "/provinces"]["get"]


def test_every_error_response_is_problem_json(client):
    spec = client.get(f"{V1}/openapi.json").get_json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")) or code == "default":
                    assert list(resolve(spec, response)["content"]) == ["application/problem+json"], (path, code)
