"""Sign-in as an attacker tries it (issue 22): wrong passwords from another address do not lock
the owner out, a burst of parallel wrong passwords gets no more tries than the limit, a sign-in
without the sign-in CSRF pair (another site's page posting it) is refused, a change with a wrong
session CSRF token is refused, and a password change ends the user's other sessions — while the
legitimate sign-in still works. Other client addresses are other loopback source addresses
(127.0.0.2, …): the node trusts no X-Forwarded-For."""
import http.client
import json
import ssl
import threading

from harness import NodeTest, main

PASSWORD = "the owner's long password"
LIMIT = 5  # web/throttle.h: THROTTLE_ATTEMPTS


def other(token):
    """token with its last character changed."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


class Client:
    """A browser-like client on one source address: keeps its cookies."""

    def __init__(self, node, source="127.0.0.1"):
        self.node, self.source, self.cookies = node, source, {}

    def request(self, method, path, body=None, headers=None):
        ctx = ssl.create_default_context(cafile=self.node.sandbox.ca.cert)
        conn = http.client.HTTPSConnection("127.0.0.1", self.node.port, context=ctx, timeout=60,
                                           source_address=(self.source, 0))
        h = {"Content-Type": "application/json"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        h.update(headers or {})
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        for line in resp.headers.get_all("Set-Cookie") or []:
            name, value = line.split(";")[0].split("=", 1)
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = data
        return resp.status, doc, resp.headers

    def sign_in(self, username, password):
        status, doc, _ = self.request("GET", "/session/token")
        assert status == 200, (status, doc)
        return self.request("POST", "/session", {"username": username, "password": password},
                            headers={"X-CSRF-Token": doc["csrf-token"]})


class HostileSignInTest(NodeTest):
    sandbox_name = "hostile-signin"

    def user(self, name):
        self.node.api("POST", "/api/v2/admin/users", {"data": {"type": "users", "attributes": {
            "username": name, "email": f"{name}@example.test", "password": PASSWORD}}})

    def test_an_attacker_elsewhere_does_not_lock_the_owner_out(self):
        self.user("owner")
        attacker = Client(self.node, "127.0.0.2")
        for _ in range(LIMIT):
            self.assertEqual(attacker.sign_in("owner", "a wrong guess")[0], 401)
        status, doc, headers = attacker.sign_in("owner", PASSWORD)  # even the right one waits
        self.assertEqual(status, 429, doc)
        self.assertIn("try again", doc["errors"][0]["detail"])
        self.assertTrue(0 < int(headers["Retry-After"]) <= 15 * 60, headers["Retry-After"])
        # the owner, from their own address, signs in
        owner = Client(self.node, "127.0.0.3")
        status, doc, _ = owner.sign_in("owner", PASSWORD)
        self.assertEqual(status, 201, doc)
        self.assertEqual(doc["user"]["username"], "owner")
        self.assertEqual(owner.request("GET", "/session")[0], 200)

    def test_parallel_wrong_passwords_get_at_most_the_limit(self):
        self.user("burst")
        attacker = Client(self.node, "127.0.0.4")
        tokens = []
        for _ in range(12):  # one pair each, fetched first so the burst is only the attempts
            status, doc, _ = attacker.request("GET", "/session/token")
            tokens.append(doc["csrf-token"])
        statuses = []

        def attempt(i):
            c = Client(self.node, "127.0.0.4")
            c.cookies["__Host-strata_signin"] = tokens[i]
            statuses.append(c.request("POST", "/session", {"username": "burst",
                                                           "password": f"guess {i}"},
                                      headers={"X-CSRF-Token": tokens[i]})[0])

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(statuses), 12)
        self.assertEqual(statuses.count(401), LIMIT, statuses)
        self.assertEqual(statuses.count(429), 12 - LIMIT, statuses)

    def test_sign_in_needs_the_sign_in_csrf_pair(self):
        self.user("victim")
        c = Client(self.node, "127.0.0.5")
        body = {"username": "victim", "password": PASSWORD}
        # another site's form or fetch: no cookie of ours, no header
        status, doc, _ = c.request("POST", "/session", body)
        self.assertEqual(status, 403, doc)
        self.assertIn("CSRF", doc["errors"][0]["detail"])
        # the cookie alone (what a cross-site form would carry, were it sent)
        status, doc, _ = c.request("GET", "/session/token")
        self.assertEqual(status, 200)
        self.assertEqual(c.request("POST", "/session", body)[0], 403)
        # a header that does not match the cookie
        self.assertEqual(c.request("POST", "/session", body,
                                   headers={"X-CSRF-Token": other(doc["csrf-token"])})[0],
                         403)
        # a token without its cookie
        fresh = Client(self.node, "127.0.0.5")
        self.assertEqual(fresh.request("POST", "/session", body,
                                       headers={"X-CSRF-Token": doc["csrf-token"]})[0], 403)
        self.assertNotIn("strata_session", c.cookies)
        # refusals for a missing pair count no attempt: the right pair signs in
        status, doc, _ = c.request("POST", "/session", body,
                                   headers={"X-CSRF-Token": doc["csrf-token"]})
        self.assertEqual(status, 201, doc)
        self.assertIn("strata_session", c.cookies)
        self.assertNotIn("__Host-strata_signin", c.cookies)  # the pair is spent

    def test_a_change_with_a_wrong_session_csrf_token_is_refused(self):
        self.user("csrf")
        c = Client(self.node, "127.0.0.6")
        status, doc, _ = c.sign_in("csrf", PASSWORD)
        self.assertEqual(status, 201, doc)
        right = doc["csrf-token"]
        change = {"data": {"type": "users", "attributes": {"email": "new@example.test"}}}
        for wrong in (other(right), right + "x", "", None):
            headers = {} if wrong is None else {"X-CSRF-Token": wrong}
            status, doc, _ = c.request("PATCH", "/api/v2/account/update", change, headers)
            self.assertEqual(status, 403, (wrong, doc))
        status, doc, _ = c.request("PATCH", "/api/v2/account/update", change,
                                   {"X-CSRF-Token": right})
        self.assertEqual(status, 200, doc)

    def test_a_password_change_ends_the_other_sessions(self):
        self.user("moving")
        laptop, phone = Client(self.node, "127.0.0.7"), Client(self.node, "127.0.0.8")
        status, doc, _ = laptop.sign_in("moving", PASSWORD)
        self.assertEqual(status, 201, doc)
        csrf = doc["csrf-token"]
        self.assertEqual(phone.sign_in("moving", PASSWORD)[0], 201)
        self.assertEqual(phone.request("GET", "/api/v2/account/details")[0], 200)
        status, doc, _ = laptop.request("PATCH", "/api/v2/account/password", {"data": {
            "type": "users", "attributes": {"current_password": PASSWORD,
                                            "password": "a new long password",
                                            "password_confirmation": "a new long password"}}},
            {"X-CSRF-Token": csrf})
        self.assertEqual(status, 200, doc)
        self.assertEqual(phone.request("GET", "/api/v2/account/details")[0], 401)  # ended
        self.assertEqual(laptop.request("GET", "/api/v2/account/details")[0], 200)  # kept
        # the old password no longer signs in; the new one does
        self.assertEqual(phone.sign_in("moving", PASSWORD)[0], 401)
        self.assertEqual(phone.sign_in("moving", "a new long password")[0], 201)

    def test_a_password_change_through_a_token_ends_every_session(self):
        self.user("tokened")
        browser = Client(self.node, "127.0.0.9")
        self.assertEqual(browser.sign_in("tokened", PASSWORD)[0], 201)
        status, doc, _ = browser.request("GET", "/session")
        # a token made for the account, as the CLI's `terraform login` does
        s, tok, _ = browser.request("POST", "/api/v2/users/" + doc["user"]["id"] +
                                    "/authentication-tokens",
                                    {"data": {"type": "authentication-tokens",
                                              "attributes": {"description": "cli"}}},
                                    {"X-CSRF-Token": doc["csrf-token"]})
        self.assertEqual(s, 201, tok)
        token = tok["data"]["attributes"]["token"]
        status, doc, _ = self.node.request("PATCH", "/api/v2/account/password", {"data": {
            "type": "users", "attributes": {"current_password": PASSWORD,
                                            "password": "another long password",
                                            "password_confirmation": "another long password"}}},
            token=token)
        self.assertEqual(status, 200, doc)
        self.assertEqual(browser.request("GET", "/session")[0], 401)
        # API tokens stay, as on TFE (docs/web-ui.md)
        self.assertEqual(self.node.request("GET", "/api/v2/account/details", token=token)[0], 200)


    def test_guesses_of_the_current_password_through_a_token_are_throttled(self):
        """A leaked API token must not become the password too: PATCH /account/password checks
        the current password, so its guesses count as sign-in attempts do."""
        self.user("leaked")
        uid = self.node.api("GET", "/api/v2/admin/users?q=leaked")["data"][0]["id"]
        token = self.node.api("POST", f"/api/v2/users/{uid}/authentication-tokens", {"data": {
            "type": "authentication-tokens"}})["data"]["attributes"]["token"]

        def change(current):
            return self.node.request("PATCH", "/api/v2/account/password", {"data": {
                "type": "users", "attributes": {"current_password": current,
                                                "password": "another long password",
                                                "password_confirmation": "another long password"}}},
                token=token)

        for i in range(LIMIT):
            status, doc, _ = change(f"guess number {i}")
            self.assertEqual(status, 422, doc)
        status, doc, _ = change(PASSWORD)  # even the right one waits
        self.assertEqual(status, 429, doc)
        self.assertIn("try again", doc["errors"][0]["detail"])
        # the owner, elsewhere, still signs in with the unchanged password
        self.assertEqual(Client(self.node, "127.0.0.10").sign_in("leaked", PASSWORD)[0], 201)


if __name__ == "__main__":
    main()
