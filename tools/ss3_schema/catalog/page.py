"""The catalog page: one self-contained HTML file (styles and script inline, no network).

Every text that comes from the schemas (names, doc comments) is HTML-escaped,
and a Content-Security-Policy allows only this page's own script (by hash),
so markup in a comment is shown as text and never runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from importlib import resources

from ss3_schema.catalog.bi.page import analytics_section
from ss3_schema.catalog.bi.record import TopicRecord
from ss3_schema.catalog.example import example_payload
from ss3_schema.catalog.model import ARTIFACT_GROUP, Catalog, Enum, Field, Message, Topic, is_well_known

CLIENT_DOC = "docs/kafka-clients.md"
DESERIALIZER = "io.apicurio.registry.serde.protobuf.ProtobufKafkaDeserializer"
WELL_KNOWN_JSON = {
    "google.protobuf.Timestamp": "RFC 3339 string in JSON, e.g. 2026-01-31T09:30:00Z",
    "google.protobuf.Duration": 'seconds with an "s" suffix in JSON, e.g. 1.5s',
}


def _asset(name: str) -> str:
    return resources.files("ss3_schema.catalog").joinpath("assets", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_page(catalog: Catalog, records: dict[str, TopicRecord] | None = None) -> str:
    css, js = _asset("catalog.css"), _asset("catalog.js")
    csp = f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; img-src data:"
    title = f"ShopSTAR3 event catalog {catalog.version}"
    parts = [
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f'<link rel="icon" href="data:,">\n<title>{escape(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n',
        _header(catalog),
        '<div class="layout">\n',
        _nav(catalog),
        "<main>\n",
        _reading(catalog),
        '<p id="nothing" class="hidden">Nothing matches.</p>\n',
        *(_topic(catalog, topic, (records or {}).get(topic.name)) for topic in catalog.topics),
        _types(catalog),
        "</main>\n</div>\n",
        f"<script>{js}</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def _header(catalog: Catalog) -> str:
    events = sum(len(t.events) for t in catalog.topics)
    return (
        "<header><h1>ShopSTAR3 event catalog</h1>"
        f'<span class="version">schemas {escape(catalog.version)} · '
        f"{len(catalog.topics)} topics · {events} events</span>"
        '<input id="search" type="search" placeholder="Filter topics, events, fields… ( / )" '
        'aria-label="Filter topics, events and fields" autocomplete="off"><span id="count"></span></header>\n'
    )


def _nav(catalog: Catalog) -> str:
    out = ['<nav id="toc" aria-label="Contents">\n<h2>Topics</h2>\n<ul>\n']
    for topic in catalog.topics:
        out.append(f'<li class="toc-topic" data-target="{_topic_id(topic)}">{_link(_topic_id(topic), topic.name)}<ul>')
        out += [
            f'<li data-target="{escape(name)}">{_link(name, name.rsplit(".", 1)[-1])}</li>' for name in topic.events
        ]
        out.append("</ul></li>\n")
    out.append('</ul>\n<h2>Types</h2>\n<ul>\n<li data-target="types"><ul>')
    names = sorted([m.full_name for m in catalog.types()] + list(catalog.enums))
    out += [f'<li data-target="{escape(name)}">{_link(name, name)}</li>' for name in names]
    out.append("</ul></li>\n</ul>\n</nav>\n")
    return "".join(out)


def _link(target: str, text: str) -> str:
    return f'<a href="#{escape(target)}">{escape(text)}</a>'


def _topic_id(topic: Topic) -> str:
    return escape(f"topic-{topic.name}")


def _reading(catalog: Catalog) -> str:
    envelope = catalog.messages.get(catalog.envelope)
    envelope_link = (
        _link(catalog.envelope, catalog.envelope) if envelope else f"<code>{escape(catalog.envelope)}</code>"
    )
    return (
        '<section id="reading">\n<h2>Reading these events</h2>\n'
        "<p>Each topic carries the events listed under it; every record value is one of them, encoded as "
        "Protobuf by the Apicurio Registry serde in payload mode: a <code>0x00</code> byte, the 4-byte schema "
        "content id, the event's simple name, then the message. Its schema is the registry artifact "
        f"<code>&lt;topic&gt;-value</code> in group <code>{ARTIFACT_GROUP}</code>.</p>\n"
        f"<p><b>The envelope.</b> Every event starts with field 1, <code>metadata</code>, of type {envelope_link}: "
        "a unique <code>event_id</code> to de-duplicate on, when the fact <code>occurred_at</code>, the "
        "<code>correlation_id</code> and <code>causation_id</code> for tracing, and the producing service. It is "
        "described once, under Types; the events below only link to it.</p>\n"
        "<p><b>JSON.</b> The example payloads use the Protobuf JSON mapping that BI tools and JSON consumers see: "
        "keys are the JSON names, 64-bit integers are strings, enums are value names, Timestamps are RFC 3339 "
        "strings, fields at their default value are omitted on the wire.</p>\n"
        f"<p><b>Kafka clients.</b> A consumer with this configuration decodes any topic here into the generated "
        f"class (Java: <code>com.shopstar3.&lt;proto package&gt;.&lt;Message&gt;</code>); the full guide for Java "
        f"and Python clients is <code>{CLIENT_DOC}</code> in the schema repository.</p>\n"
        f"<pre>{escape(client_config(None))}</pre>\n</section>\n"
    )


def client_config(topic: Topic | None) -> str:
    """Kafka consumer properties that decode the topic's records with the Apicurio Protobuf serde."""
    lines = [
        "bootstrap.servers=<broker:9092>",
        # The catalog describes values; bytes read any key whatever its producer wrote.
        "key.deserializer=org.apache.kafka.common.serialization.ByteArrayDeserializer",
        f"value.deserializer={DESERIALIZER}",
        "apicurio.registry.url=<registry>/apis/registry/v3",
        "apicurio.registry.headers.enabled=false",
        "apicurio.registry.auto-register=false",
        "apicurio.registry.find-latest=true",
        "apicurio.protobuf.derive.class=true",
    ]
    if topic is not None:
        lines.append(f"# value schema: artifact {topic.artifact_id} in group {ARTIFACT_GROUP}")
    return "\n".join(lines)


def _added(added_in: str | None) -> str:
    if added_in is None:
        return '<span class="badge unreleased">unreleased</span>'
    return f'<span class="badge">added in {escape(added_in)}</span>'


def _deprecated(flag: bool) -> str:
    return '<span class="badge deprecated">deprecated</span>' if flag else ""


def _row_class(deprecated: bool) -> str:
    return ' class="deprecated"' if deprecated else ""


def _search_text(*parts: str) -> str:
    return escape(" ".join(parts).lower())


def _topic(catalog: Catalog, topic: Topic, record: TopicRecord | None = None) -> str:
    out = [
        f'<section class="topic" id="{_topic_id(topic)}" data-search="{_search_text(topic.name, topic.file)}">\n',
        f'<h2><span class="kind">topic</span><code>{escape(topic.name)}</code></h2>\n',
        f'<dl class="facts"><dt>Declared in</dt><dd><code>proto/{escape(topic.file)}</code></dd>'
        f"<dt>Registry artifact</dt><dd><code>{escape(topic.artifact_id)}</code> (group "
        f"<code>{ARTIFACT_GROUP}</code>)</dd></dl>\n",
    ]
    out.append(analytics_section(record))
    out += [_event(catalog, topic, catalog.messages[name]) for name in topic.events]
    out.append("</section>\n")
    return "".join(out)


def _event(catalog: Catalog, topic: Topic, message: Message) -> str:
    example = json.dumps(example_payload(catalog, message.full_name), indent=2, ensure_ascii=False)
    return (
        f'<article class="event entry" id="{escape(message.full_name)}" '
        f'data-search="{_search_text(message.full_name, topic.name, message.doc)}">\n'
        f'<h3><span class="kind">event</span>{escape(message.name)}{_added(message.added_in)}'
        f"{_deprecated(message.deprecated)}</h3>\n"
        f'<p class="doc">{escape(message.doc)}</p>\n'
        f'<dl class="facts"><dt>Full name</dt><dd><code>{escape(message.full_name)}</code></dd>'
        f"<dt>Topic</dt><dd><code>{escape(topic.name)}</code></dd>"
        f"<dt>Registry artifact</dt><dd><code>{escape(topic.artifact_id)}</code> (group "
        f"<code>{ARTIFACT_GROUP}</code>)</dd>"
        f"<dt>Java class</dt><dd><code>{escape(message.java_class)}</code></dd></dl>\n"
        f"{_fields_table(catalog, message)}"
        "<details open><summary>Example payload (Protobuf JSON mapping)</summary>"
        f"<pre>{escape(example)}</pre></details>\n"
        f"<details><summary>Kafka consumer configuration</summary><pre>{escape(client_config(topic))}</pre></details>\n"
        "</article>\n"
    )


def _fields_table(catalog: Catalog, message: Message) -> str:
    if not message.fields:
        return "<p><i>No fields.</i></p>\n"
    head = "<tr><th>#</th><th>Field</th><th>Type</th><th>JSON name</th><th>Description</th><th>Since</th></tr>"
    rows = [_field_row(catalog, message, f) for f in message.fields]
    return f'<div class="table-wrap"><table class="fields">{head}\n{"".join(rows)}</table></div>\n'


def _field_row(catalog: Catalog, message: Message, f: Field) -> str:
    oneof = f'<div class="oneof">oneof {escape(f.oneof)}</div>' if f.oneof else ""
    css = _row_class(f.deprecated)
    search = _search_text(f.name, f.json_name, f.type_label, f.doc)
    return (
        f'<tr{css} id="{escape(message.full_name)}.{escape(f.name)}" data-search="{search}">'
        f'<td class="num">{f.number}</td><td class="fname"><code>{escape(f.name)}</code>{oneof}'
        f"{_deprecated(f.deprecated)}</td><td>{_type_cell(catalog, f)}</td><td><code>{escape(f.json_name)}</code></td>"
        f'<td class="fdoc">{escape(f.doc)}</td><td>{_added(f.added_in)}</td></tr>\n'
    )


def _type_cell(catalog: Catalog, f: Field) -> str:
    name = f.value.name
    if f.value.is_scalar:
        target = f"<code>{escape(name)}</code>"
    elif name in catalog.messages or name in catalog.enums:
        target = f'<a class="type-link" href="#{escape(name)}"><code>{_breakable(name)}</code></a>'
    else:
        hint = WELL_KNOWN_JSON.get(name, "well-known type" if is_well_known(name) else "")
        target = f'<code title="{escape(hint)}">{escape(name)}</code>'
    if f.map_key is not None:
        return f"<code>map&lt;{escape(f.map_key)}, </code>{target}<code>&gt;</code>"
    prefix = "repeated " if f.repeated else "optional " if f.optional else ""
    return f"<code>{prefix}</code>{target}" if prefix else target


def _breakable(name: str) -> str:
    """A full name that may wrap after its dots only: deep nesting makes very long names."""
    return escape(name).replace(".", ".<wbr>")


def _types(catalog: Catalog) -> str:
    out = [
        '<section id="types">\n<h2>Types</h2>\n<p>The messages and enums the events use, the envelope among them.</p>\n'
    ]
    out += [_message_article(catalog, m) for m in catalog.types()]
    out += [_enum_article(catalog.enums[name]) for name in sorted(catalog.enums)]
    out.append("</section>\n")
    return "".join(out)


def _message_article(catalog: Catalog, message: Message) -> str:
    envelope = " (the event envelope)" if message.full_name == catalog.envelope else ""
    return (
        f'<article class="type entry" id="{escape(message.full_name)}" '
        f'data-search="{_search_text(message.full_name, message.doc)}">\n'
        f'<h3><span class="kind">message</span>{escape(message.full_name)}{escape(envelope)}'
        f"{_added(message.added_in)}{_deprecated(message.deprecated)}</h3>\n"
        f'<p class="doc">{escape(message.doc)}</p>\n'
        f'<dl class="facts"><dt>Java class</dt><dd><code>{escape(message.java_class)}</code></dd></dl>\n'
        f"{_fields_table(catalog, message)}</article>\n"
    )


def _enum_article(enum: Enum) -> str:
    head = "<tr><th>#</th><th>Value</th><th>Description</th><th>Since</th></tr>"
    rows = "".join(
        f'<tr{_row_class(v.deprecated)} data-search="{_search_text(v.name, v.doc)}">'
        f'<td class="num">{v.number}</td><td class="fname"><code>{escape(v.name)}</code>'
        f"{_deprecated(v.deprecated)}</td>"
        f'<td class="fdoc">{escape(v.doc)}</td><td>{_added(v.added_in)}</td></tr>\n'
        for v in enum.values
    )
    return (
        f'<article class="enum entry" id="{escape(enum.full_name)}" '
        f'data-search="{_search_text(enum.full_name, enum.doc)}">\n'
        f'<h3><span class="kind">enum</span>{escape(enum.full_name)}{_added(enum.added_in)}'
        f"{_deprecated(enum.deprecated)}</h3>\n"
        f'<p class="doc">{escape(enum.doc)}</p>\n'
        f'<div class="table-wrap"><table class="fields">{head}\n{rows}</table></div>\n</article>\n'
    )
