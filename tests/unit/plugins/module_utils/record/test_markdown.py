"""Text from CRDs is escaped where NetBox renders Markdown, and reads back as written."""

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.markdown import escape, unescape


def test_links_images_and_html_from_a_crd_are_inert():
    text = "Switch ![x](http://evil.example/track.png) [click](http://evil.example) <script>alert(1)</script>"
    escaped = escape(text)
    assert "](" not in escaped and "<script>" not in escaped
    assert "\\!\\[x\\]\\(http://evil.example/track.png\\)" in escaped


def test_escaping_reads_back_as_written():
    for text in ("leaf-01: spec.asn must be an integer, got '65103' (set adopt: true)", "a\\b*c_d`e", "plain"):
        assert unescape(escape(text)) == text
