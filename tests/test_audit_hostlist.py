"""Reading host lists: every good line becomes a target, every bad line a clear error."""

from __future__ import annotations

import pytest

from securesocket.audit.hostlist import HostSyntaxError, parse_host, read_host_list
from securesocket.audit.model import Target


class TestParseHost:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("example.org", ("example.org", 443)),
            ("example.org:8443", ("example.org", 8443)),
            ("127.0.0.1:1", ("127.0.0.1", 1)),
            ("[::1]:4433", ("::1", 4433)),
            ("[::1]", ("::1", 443)),
            ("::1", ("::1", 443)),
            ("under_score.example", ("under_score.example", 443)),
            ("bücher.example", ("bücher.example", 443)),
        ],
    )
    def test_good(self, text: str, expected: tuple[str, int]) -> None:
        """Host names, IPv4, bracketed and bare IPv6, with and without a port, are read."""
        assert parse_host(text) == expected

    @pytest.mark.parametrize(
        ("text", "match"),
        [
            ("", "empty host"),
            ("two words", "spaces"),
            ("host:0", "outside 1-65535"),
            ("host:65536", "outside 1-65535"),
            ("host:https", "not a number"),
            ("host:", "not a number"),
            ("-leading.example", "not a host name"),
            ("a..b", "not a host name"),
            ("x" * 64 + ".example", "not a host name"),
            ("[not-v6]:443", "not an IPv6 address"),
            ("1:2:3", "too many colons"),
            ("host/path", "not a host name"),
        ],
    )
    def test_bad(self, text: str, match: str) -> None:
        """Each malformed host raises HostSyntaxError naming what is wrong."""
        with pytest.raises(HostSyntaxError, match=match):
            parse_host(text)


class TestReadHostList:
    def test_garbage_lines_are_reported_and_the_rest_kept(self) -> None:
        """Bad lines give one error each with the line number; good lines, in order, survive."""
        lines = [
            "# a comment",
            "a.example",
            "",
            "not a host",
            "b.example:8443  # trailing comment",
            "c.example:99999",
            "\x00\x01binary",
            "a.example:443",
        ]
        targets, errors = read_host_list(lines)
        assert [t.key for t in targets] == ["a.example:443", "b.example:8443"]
        assert [(e.line_number, e.line) for e in errors] == [
            (4, "not a host"),
            (6, "c.example:99999"),
            (7, "\x00\x01binary"),
        ]
        assert "line 6: port 99999 is outside 1-65535" in str(errors[1])

    def test_an_empty_list_is_empty(self) -> None:
        """Comments and blank lines alone give no targets and no errors."""
        assert read_host_list(["", "   ", "# only"]) == ([], [])


class TestTargetKey:
    def test_keys_distinguish_port_and_name(self) -> None:
        """--resume's key includes the port, brackets IPv6 and adds the SNI name when it differs."""
        assert Target("::1", 443, "::1").key == "[::1]:443"
        assert Target("h", 1, "h").key != Target("h", 2, "h").key
        assert Target("127.0.0.1", 1, "a.example").key == "127.0.0.1:1/a.example"
