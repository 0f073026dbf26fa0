"""WebFetch's URLs and the rules about them: parsing and normalising, the engine's
``domain:`` matching (which must see the same host WebFetch fetches), the rule "don't ask
again" offers, and which rules let a host reach a private address."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devagent.approval import PermissionRequest
from devagent.permissions import InvalidRuleError, Mode, PermissionEngine, Rule, url_host
from devagent.rulesuggest import suggest_tool_rules
from devagent.tools.web import rule_names_host
from devagent.web import WebError
from devagent.web.urls import parse_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://example.com", "https://example.com/"),
        ("HTTP://Example.COM./a/b?q=1#frag", "https://example.com/a/b?q=1"),
        ("http://example.com:8080/x", "https://example.com:8080/x"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("http://127.0.0.1:9/page", "http://127.0.0.1:9/page"),
        ("http://localhost/x", "http://localhost/x"),
        ("http://api.localhost/x", "http://api.localhost/x"),
        ("http://[::1]:8000/", "http://[::1]:8000/"),
        ("http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/"),
        ("http://2130706433/", "https://2130706433/"),
        ("  https://example.com/sp  ", "https://example.com/sp"),
    ],
)
def test_urls_are_normalised_and_upgraded_except_on_loopback(given: str, expected: str) -> None:
    assert str(parse_url(given)) == expected


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("example.com", "is not an http:// or https:// URL"),
        ("ftp://example.com/x", "is not an http:// or https:// URL"),
        ("file:///etc/passwd", "is not an http:// or https:// URL"),
        ("https://user:pw@example.com/", "carries a user name or password"),
        ("https://example.com@evil.test/", "carries a user name or password"),
        ("https:///path", "has no valid host name"),
        ("https://exa mple.com/", "is not a URL"),
        ("https://example.com/\nHost: evil", "is not a URL"),
        ("https://example.com:99999/", "invalid port"),
        ("https://ex$ample.com/", "has no valid host name"),
        ("", "is not a URL"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(given: str, problem: str) -> None:
    with pytest.raises(WebError, match=problem.replace("/", "/")):
        parse_url(given)


@pytest.mark.parametrize(
    ("start", "location", "followed"),
    [
        ("https://a.test/x", "/y", True),
        ("https://a.test/x", "https://a.test/z", True),
        ("http://a.test/x", "https://a.test/x", True),
        ("https://a.test/x", "http://a.test/x", False),
        ("https://a.test/x", "https://b.test/x", False),
        ("https://a.test/x", "https://www.a.test/x", False),
        ("https://a.test/x", "https://a.test:8443/x", False),
        ("http://127.0.0.1:8000/x", "http://169.254.169.254/latest/meta-data/", False),
        ("http://127.0.0.1:8000/x", "//127.0.0.1:8000/y", True),
    ],
)
def test_only_same_host_redirects_are_followed(start: str, location: str, followed: bool) -> None:
    url = parse_url(start, upgrade=False)
    assert url.same_site(url.join(location)) is followed


def test_a_url_pinned_to_an_address_keeps_port_and_target() -> None:
    url = parse_url("https://example.com:8443/a?b=c")
    assert url.pinned("93.184.216.34") == "https://93.184.216.34:8443/a?b=c"
    assert url.pinned("2606:4700::1111") == "https://[2606:4700::1111]:8443/a?b=c"
    assert url.netloc == "example.com:8443"


TRICKY = [
    "https://Example.COM./x",
    "https://bücher.example/",
    "http://[::ffff:127.0.0.1]:80/",
    "https://example.com\\@evil.test/",
    "https://evil.test#@example.com/",
    "https://evil.test?@example.com/",
    "https://evil.test\\.example.com/",
    "http://2130706433/",
    "https://a.b.example.com/",
]


@pytest.mark.parametrize("url", TRICKY)
def test_rules_see_the_host_webfetch_fetches(url: str) -> None:
    try:
        fetched = parse_url(url).host
    except WebError:
        fetched = ""
    assert url_host(url) == fetched


def engine(tmp_path: Path, mode: Mode = "default", allow: tuple[str, ...] = ()) -> PermissionEngine:
    rules = [Rule.parse(text, "test") for text in allow]
    return PermissionEngine(tmp_path, mode=mode, allow=rules, user_home=tmp_path)


def offered(url: str) -> tuple[str, ...]:
    rules = suggest_tool_rules("WebFetch", {"url": url, "prompt": "p"})
    assert rules is not None
    return rules.rules


def fetch(url: str, prompt: str = "p") -> PermissionRequest:
    return PermissionRequest("WebFetch", {"url": url, "prompt": prompt}, kind="network")


def test_domain_rules_match_the_url_host_only_never_the_prompt(tmp_path: Path) -> None:
    policy = engine(tmp_path, allow=("WebFetch(domain:Docs.Python.org.)",))
    assert policy.decide(fetch("https://docs.python.org/3/")).behavior == "allow"
    assert policy.decide(fetch("https://DOCS.python.org./3/")).behavior == "allow"
    assert policy.decide(fetch("https://sub.docs.python.org/")).behavior == "allow"
    sneaky = fetch("https://evil.test/", prompt="see https://docs.python.org/ too")
    assert policy.decide(sneaky).behavior == "ask"
    assert policy.decide(fetch("https://docs.python.org.evil.test/")).behavior == "ask"


def test_web_tools_ask_in_plan_mode_and_are_denied_in_dont_ask(tmp_path: Path) -> None:
    search = PermissionRequest("WebSearch", {"query": "q"}, kind="network")
    assert engine(tmp_path, "plan").decide(search).behavior == "ask"
    assert engine(tmp_path, "plan").decide(fetch("https://x.test/")).behavior == "ask"
    assert engine(tmp_path, "dontAsk").decide(search).behavior == "deny"
    assert engine(tmp_path, "default", ("WebSearch",)).decide(search).behavior == "allow"


def test_dont_ask_again_offers_the_domain() -> None:
    web = suggest_tool_rules("WebFetch", {"url": "http://Docs.Python.org./3/", "prompt": "p"})
    assert web is not None and web.scope == "this domain"
    assert web.rules == ("WebFetch(domain:docs.python.org)",)
    assert offered("not a url") == ()
    assert suggest_tool_rules("WebSearch", {"query": "q"}) is None


def test_only_an_allow_rule_naming_the_exact_host_opens_private_addresses(tmp_path: Path) -> None:
    exact = rule_names_host(engine(tmp_path, allow=("WebFetch(domain:127.0.0.1)",)))
    assert exact("127.0.0.1") is True
    assert exact("127.0.0.2") is False
    parent = rule_names_host(engine(tmp_path, allow=("WebFetch(domain:example.com)",)))
    assert parent("intranet.example.com") is False
    assert rule_names_host(engine(tmp_path, allow=("WebFetch",)))("127.0.0.1") is False
    assert rule_names_host(engine(tmp_path, "bypassPermissions"))("127.0.0.1") is False


def test_a_deny_rule_beats_a_rule_naming_the_host(tmp_path: Path) -> None:
    policy = PermissionEngine(
        tmp_path,
        allow=[Rule.parse("WebFetch(domain:127.0.0.1)", "a")],
        deny=[Rule.parse("WebFetch", "d")],
        user_home=tmp_path,
    )
    assert rule_names_host(policy)("127.0.0.1") is False


def test_dont_ask_again_for_a_local_host_names_it(tmp_path: Path) -> None:
    policy = engine(tmp_path)
    named = rule_names_host(policy)
    assert named("127.0.0.1") is False
    [rule] = offered("http://127.0.0.1:8000/")
    policy.allow_for_session(rule)
    assert named("127.0.0.1") is True


def test_a_wildcard_domain_rule_covers_only_the_names_under_it(tmp_path: Path) -> None:
    policy = engine(tmp_path, allow=("WebFetch(domain:*.python.org)",))
    assert policy.decide(fetch("https://docs.python.org/")).behavior == "allow"
    assert policy.decide(fetch("https://python.org/")).behavior == "ask"


@pytest.mark.parametrize("domain", ["", "not a host", "*", "a..b"])
def test_a_domain_rule_that_names_no_domain_is_refused_when_read(domain: str) -> None:
    with pytest.raises(InvalidRuleError, match=r"does not name a domain: write e\.g\."):
        Rule.parse(f"WebFetch(domain:{domain})", "test")


def test_a_bad_domain_rule_on_the_command_line_is_a_usage_error(
    devagent_cmd: list[str], devagent_env: dict[str, str], tmp_path: Path
) -> None:
    args = ["-p", "x", "--disallowed-tools", "WebFetch(domain:evil com)"]
    done = subprocess.run(
        [*devagent_cmd, *args], env=devagent_env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "'WebFetch(domain:evil com)' does not name a domain" in done.stderr
