"""The acknowledgement pages (/ack/{token}) as the API describes them."""


def test_guessing_links_meets_the_rate_limit_and_the_document_says_so(client, aws):
    answers = [client.http.get(f"/ack/{n:08d}fffffff0{'A' * 16}") for n in range(31)]
    assert {a.status_code for a in answers[:30]} == {404}
    limited = answers[30]
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["Content-Type"].startswith("text/html")
    paths = client.http.get("/openapi.json").json_body["paths"]
    for method in ("get", "post"):
        described = paths["/ack/{token}"][method]["responses"]["429"]
        assert "text/html" in described["content"]
