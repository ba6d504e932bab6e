"""A local fake of Zalo's OpenAPI and OAuth v4 servers, over real HTTP.

Tests, the offline sandbox and benchmarks point the real client (bot/zalo/client.py) at it
through ZALO_API_BASE / ZALO_OAUTH_BASE; both are served on the same base URL.

It models what /work/shared/zalo-oa-facts.md says Zalo does: errors are HTTP 200 with a
non-zero "error"; `access_token` header on every API call; GET parameters as one JSON object
in `data`; ids as large numeric strings; 2,000 NFC characters per text; -230 after 7 days
without interaction (48 h to 7 days still delivered, but billed); -235 on v3 cs for a
"government" OA while v2 works; -234 for promotions at night; -32 over the rate limit;
single-use refresh tokens. Where the facts sheet says [check], the fake picks one answer and
makes it configurable (constants below, or FakeZaloState attributes).

Like Zalo, it echoes every message it delivers as a signed oa_send_* webhook event to the
webhook URL it is given (`configure_webhook`, or POST /_fake/webhook), and can fail a send
after delivering it (hang past the client's timeout, a 5xx, a dropped connection).

One fake hosts one OA by default and as many as a city needs (`FakeZaloState.add_oa`, or
POST /_fake/oa): each OA has its own token pair, followers, messages, failures and webhook
(its echoes carry it as sender, signed with its key); each app its own id, secret and rate
limit, shared by the OAs linked to it. A request is for the OA whose access token it carries,
as on Zalo; the OAuth call for the OA whose refresh token it names.

Control endpoints under /_fake/ (no auth; only the fake has them) let tests, the sandbox and
a terminal chat client in another process script it: see control.py.

Run standalone:  python -m bot.sandbox.fake_zalo.server --port 8790

By API area: facts (limits, paths, error codes), records (users, groups, messages, failure
rules, apps), oa (one OA: tokens, users, failures, sent messages), state (the apps and OAs the
fake hosts), echo (oa_send_* webhooks), checks (what Zalo accepts), messages, followers,
uploads, oauth (the routes), control (/_fake/), server (the app and its HTTP server).
"""
