"""Message attachments and their actions (buttons and menus) as Mattermost decodes, stores and shows them.

Sources: MM ``server/public/model/message_attachment.go`` @475912cf (``MessageAttachment``,
``MessageAttachmentField``, ``ParseMessageAttachment``, ``ParseSlackLinksToMarkdown``) and
``server/public/model/integration_action.go`` @02c02352 (``PostAction``, ``GenerateActionIds``,
``StripActionIntegrations``, ``GetAction``).

Attachments are decoded into Go structs and encoded again, so what a client sees has every
``MessageAttachment`` field (zero values included, unknown keys dropped) and only the non-empty
``PostAction`` fields (they are all ``omitempty``). A value of the wrong JSON type makes the
whole decode fail (:class:`ValueError` here).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from .records import copied

Record = dict[str, Any]

_LINK_WITH_TEXT = re.compile(r"<([^<|]+)\|([^>]+)>")
_ATTACHMENT_STRINGS = ("fallback", "color", "pretext", "author_name", "author_link", "author_icon", "title",
                       "title_link", "text")
_ATTACHMENT_TAIL_STRINGS = ("image_url", "thumb_url", "footer", "footer_icon")
_ACTION_STRINGS = ("id", "type", "name", "style", "data_source", "default_option", "cookie")
_ACTION_ORDER = ("id", "type", "name", "disabled", "style", "data_source", "options", "default_option",
                 "integration", "cookie")


def parse_slack_links(text: str) -> str:
    """``ParseSlackLinksToMarkdown``: ``<url|text>`` becomes ``[text](url)``."""
    return _LINK_WITH_TEXT.sub(r"[\2](\1)", text)


def _string(doc: Record, key: str) -> str:
    value = doc.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _objects(value: Any, what: str) -> list[Record | None]:
    """A JSON array of objects (``null`` items allowed, as Go decodes them to nil pointers)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(item is None or isinstance(item, dict) for item in value):
        raise ValueError(f"{what} is not an array of objects")
    return value


def _integration(value: Any) -> Record | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("integration is not an object")
    context = value.get("context")
    if context is not None and not isinstance(context, dict):
        raise ValueError("integration.context is not an object")
    shown: Record = {}
    if _string(value, "url"):
        shown["url"] = value["url"]
    if context:
        shown["context"] = context
    return shown


def _action(doc: Record) -> Record:
    """One ``PostAction`` after a decode/encode round trip (``omitempty`` everywhere)."""
    values: Record = {key: _string(doc, key) for key in _ACTION_STRINGS}
    disabled = doc.get("disabled")
    if disabled is not None and not isinstance(disabled, bool):
        raise ValueError("disabled is not a boolean")
    values["disabled"] = bool(disabled)
    values["options"] = [{"text": _string(option, "text"), "value": _string(option, "value")}
                         for option in _objects(doc.get("options"), "options") if option is not None]
    values["integration"] = _integration(doc.get("integration"))
    return {key: values[key] for key in _ACTION_ORDER if values[key] not in ("", False, [], None)}


def _field(doc: Record) -> Record:
    short = doc.get("short", False)
    if short is None:
        short = False
    if not isinstance(short, bool) and short not in ("true", "false"):
        raise ValueError("short is not a boolean")
    return {"title": _string(doc, "title"), "value": doc.get("value"), "short": short in (True, "true")}


def _attachment(doc: Record, slack_links: bool) -> Record:
    """One ``MessageAttachment`` after a decode/encode round trip (and ``ParseMessageAttachment``'s
    link conversion when ``slack_links``)."""
    attachment_id = doc.get("id", 0)
    if attachment_id is None:
        attachment_id = 0
    if not isinstance(attachment_id, int) or isinstance(attachment_id, bool):
        raise ValueError("id is not an integer")
    shown: Record = {"id": attachment_id}
    shown.update((key, _string(doc, key)) for key in _ATTACHMENT_STRINGS)
    fields = [_field(field) for field in _objects(doc.get("fields"), "fields") if field is not None]
    if slack_links:
        shown["pretext"] = parse_slack_links(shown["pretext"])
        shown["text"] = parse_slack_links(shown["text"])
        for field in fields:
            if isinstance(field["value"], str):
                field["value"] = parse_slack_links(field["value"])
    shown["fields"] = fields or None
    shown.update((key, _string(doc, key)) for key in _ATTACHMENT_TAIL_STRINGS)
    shown["ts"] = doc.get("ts")
    actions = [_action(action) for action in _objects(doc.get("actions"), "actions") if action is not None]
    if actions:
        shown["actions"] = actions
    return shown


def parse_attachments(raw: Any, *, slack_links: bool = True) -> list[Record]:
    """Decode ``attachments`` (``ValueError`` on a wrong type); ``slack_links`` converts ``<url|text>``
    in texts and field values as ``ParseMessageAttachment`` does for integration replies."""
    return [_attachment(item, slack_links) for item in _objects(raw, "attachments") if item is not None]


def actions_of(post: Record) -> Iterator[Record]:
    """Every action of the post's ``props.attachments``, in display order (the live records)."""
    attachments = (post.get("props") or {}).get("attachments")
    if not isinstance(attachments, list):
        return
    for attachment in attachments:
        if isinstance(attachment, dict):
            yield from (a for a in attachment.get("actions") or () if isinstance(a, dict))


def generate_action_ids(post: Record, new_id: Callable[[], str]) -> None:
    """``GenerateActionIds``: give every action without an id a fresh one (in place)."""
    for action in actions_of(post):
        if not action.get("id"):
            rest = {key: value for key, value in action.items() if key != "id"}
            action.clear()
            action["id"] = new_id()  # first, as PostAction.Id is encoded first
            action.update(rest)


def without_integrations(post: Record, cookie: Callable[[Record], str] | None = None) -> Record:
    """A deep copy of the post with ``StripActionIntegrations`` applied, and each action given the
    ``cookie`` returned by ``cookie(action)`` when a cookie maker is passed (ephemeral posts)."""
    shown = copied(post)
    for action in actions_of(shown):
        if cookie is not None:
            action["cookie"] = cookie(action)
        action.pop("integration", None)
    return shown


def find_action(post: Record, name_or_id: str) -> Record | None:
    """The first action whose id, or else whose ``name``, equals ``name_or_id`` (``GetAction`` by id)."""
    actions = list(actions_of(post))
    by_id = next((a for a in actions if a.get("id") == name_or_id), None)
    return by_id or next((a for a in actions if a.get("name") == name_or_id), None)


def buttons_of(post: Record) -> list[Record]:
    """The buttons of a post (every action that is not a ``select`` menu), in display order,
    each as ``{"id", "name", "style"}``."""
    return [{"id": a.get("id", ""), "name": a.get("name", ""), "style": a.get("style", "")}
            for a in actions_of(post) if a.get("type") != "select"]
