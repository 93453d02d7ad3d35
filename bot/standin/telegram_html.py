"""Telegram's HTML parse_mode rules, reproduced so tests can check text before it is sent.

The parser mirrors the one in TDLib (which the Bot API uses): the same tag set, attribute
syntax, entity decoding and error messages with UTF-8 byte offsets. Entity offsets are in
UTF-16 code units, like the Bot API's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final

ENTITY_TYPES: Final = MappingProxyType(
    {
        "b": "bold",
        "strong": "bold",
        "i": "italic",
        "em": "italic",
        "u": "underline",
        "ins": "underline",
        "s": "strikethrough",
        "strike": "strikethrough",
        "del": "strikethrough",
        "span": "spoiler",
        "tg-spoiler": "spoiler",
        "a": "text_link",
        "code": "code",
        "pre": "pre",
        "blockquote": "blockquote",
        "tg-emoji": "custom_emoji",
    }
)
ALLOWED_TAGS: Final = frozenset(ENTITY_TYPES)

# Telegram orders entities that share a span by type; lower comes first.
TYPE_PRIORITY: Final = MappingProxyType(
    {
        "blockquote": 0,
        "expandable_blockquote": 0,
        "pre": 11,
        "code": 20,
        "text_link": 49,
        "bold": 90,
        "italic": 91,
        "underline": 92,
        "strikethrough": 93,
        "spoiler": 94,
        "custom_emoji": 99,
    }
)

NAMED_ENTITIES: Final = MappingProxyType({b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'})

# Telegram's parser treats NUL as whitespace because it scans a NUL-terminated buffer.
SPACES: Final = frozenset(b" \t\r\n\v\0")

MAX_CODE_POINT: Final = 0x10FFFF
SURROGATE_ERROR: Final = (
    "Text contains invalid Unicode characters after decoding HTML entities, "
    "check for unmatched surrogate code units"
)
URL_SCHEMES: Final = frozenset({"http", "https", "ftp", "ton", "tonsite"})
URL_HOST: Final = re.compile(r"^(?:[A-Za-z0-9_-]+\.)+[A-Za-z][A-Za-z0-9-]*(?::\d{1,5})?$")


class TelegramHtmlError(ValueError):
    """Raised when Telegram would refuse the HTML with "can't parse entities"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class HtmlEntity:
    """A MessageEntity as Telegram reports it, offsets in UTF-16 code units."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the Bot API JSON shape of this entity."""
        data: dict[str, object] = {"type": self.type, "offset": self.offset, "length": self.length}
        optional = {
            "url": self.url,
            "language": self.language,
            "custom_emoji_id": self.custom_emoji_id,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        return data


@dataclass(frozen=True)
class ParsedHtml:
    """Plain text and entities that Telegram derives from an HTML message."""

    text: str
    entities: tuple[HtmlEntity, ...] = ()


@dataclass
class _OpenTag:
    """A start tag waiting for its end tag."""

    name: str
    argument: str
    utf16_offset: int
    expandable: bool = False


@dataclass
class _Attribute:
    """One parsed attribute of a start tag (value None for a bare attribute)."""

    name: str
    value: str | None


@dataclass
class _Parser:
    """Byte-oriented parser mirroring Telegram's, so byte offsets in errors match."""

    data: bytes
    strict_entities: bool
    pos: int = 0
    out: list[str] = field(default_factory=list)
    utf16: int = 0
    open_tags: list[_OpenTag] = field(default_factory=list)
    entities: list[HtmlEntity] = field(default_factory=list)

    def at(self, index: int) -> int:
        """Return the byte at index, or 0 past the end like a NUL-terminated buffer."""
        return self.data[index] if index < len(self.data) else 0

    def emit(self, text: str) -> None:
        """Append decoded text and advance the UTF-16 offset."""
        self.out.append(text)
        self.utf16 += utf16_length(text)

    def run(self) -> ParsedHtml:
        """Parse the whole input."""
        while self.pos < len(self.data):
            byte = self.data[self.pos]
            if byte == ord("&"):
                self.emit(self.read_entity())
            elif byte == ord("<"):
                self.read_tag()
            else:
                self.emit(self.read_plain())
        if self.open_tags:
            name = self.open_tags[-1].name
            raise TelegramHtmlError(f'Can\'t find end tag corresponding to start tag "{name}"')
        # Only pre carries a language in the Bot API; a lone code's class is dropped.
        entities = [_without_code_language(entity) for entity in self.entities]
        return ParsedHtml("".join(self.out), tuple(sorted(entities, key=_entity_order)))

    def read_plain(self) -> str:
        """Consume bytes up to the next markup character."""
        end = self.pos
        while end < len(self.data) and self.data[end] not in (ord("&"), ord("<")):
            end += 1
        chunk = self.data[self.pos : end].decode("utf-8")
        self.pos = end
        return chunk

    def read_entity(self) -> str:
        """Consume an HTML entity starting at pos; return the text it stands for."""
        start = self.pos
        decoded = _decode_entity(self.data, start)
        if decoded is None:
            if self.strict_entities:
                raise TelegramHtmlError(_entity_complaint(self.data, start))
            # Telegram keeps an '&' that starts no known entity as a literal character.
            self.pos += 1
            return "&"
        char, end, terminated = decoded
        if self.strict_entities and not terminated:
            raw = self.data[start:end].decode("utf-8")
            raise TelegramHtmlError(f'Unterminated HTML entity "{raw}" at byte offset {start}')
        self.pos = end
        return char

    def read_tag(self) -> None:
        """Consume a start or end tag."""
        begin = self.pos
        self.pos += 1
        if self.at(self.pos) == ord("/"):
            self.read_end_tag(begin)
        else:
            self.read_start_tag(begin)

    def read_start_tag(self, begin: int) -> None:
        """Consume a start tag and its attributes."""
        while self.at(self.pos) not in SPACES and self.at(self.pos) != ord(">"):
            self.pos += 1
        if self.pos >= len(self.data):
            raise TelegramHtmlError(f"Unclosed start tag at byte offset {begin}")
        name = self.data[begin + 1 : self.pos].decode("utf-8").lower()
        if name not in ALLOWED_TAGS:
            raise TelegramHtmlError(f'Unsupported start tag "{name}" at byte offset {begin}')
        attributes = self.read_attributes(name, begin)
        self.pos += 1
        self.open_tags.append(_make_open_tag(name, attributes, begin, self.utf16))

    def read_attributes(self, tag: str, begin: int) -> list[_Attribute]:
        """Consume attributes until the closing '>' of a start tag."""
        attributes: list[_Attribute] = []
        while True:
            self.skip_spaces()
            if self.pos >= len(self.data):
                raise TelegramHtmlError(f"Unclosed start tag at byte offset {begin}")
            if self.at(self.pos) == ord(">"):
                return attributes
            attributes.append(self.read_attribute(tag, begin))

    def skip_spaces(self) -> None:
        """Advance past whitespace."""
        while self.pos < len(self.data) and self.data[self.pos] in SPACES:
            self.pos += 1

    def read_attribute(self, tag: str, begin: int) -> _Attribute:
        """Consume one name[=value] attribute."""
        name_start = self.pos
        while self.at(self.pos) not in SPACES and self.at(self.pos) not in b"=>":
            self.pos += 1
        name = self.data[name_start : self.pos].decode("utf-8").lower()
        if not name:
            raise TelegramHtmlError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
            )
        self.skip_spaces()
        if self.at(self.pos) != ord("="):
            return _Attribute(name, None)
        self.pos += 1
        self.skip_spaces()
        if self.pos >= len(self.data):
            raise TelegramHtmlError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        return _Attribute(name, self.read_attribute_value(begin))

    def read_attribute_value(self, begin: int) -> str:
        """Consume a quoted string or a bare name token."""
        quote = self.at(self.pos)
        if quote not in (ord('"'), ord("'")):
            return self.read_name_token()
        self.pos += 1
        value: list[str] = []
        while self.pos < len(self.data) and self.data[self.pos] != quote:
            if self.data[self.pos] == ord("&"):
                value.append(self.read_entity())
                continue
            end = self.pos
            while end < len(self.data) and self.data[end] not in (quote, ord("&")):
                end += 1
            value.append(self.data[self.pos : end].decode("utf-8"))
            self.pos = end
        if self.pos >= len(self.data):
            raise TelegramHtmlError(f"Unclosed start tag at byte offset {begin}")
        self.pos += 1
        return "".join(value)

    def read_name_token(self) -> str:
        """Consume an unquoted attribute value (letters, digits, '.' and '-')."""
        start = self.pos
        while _is_ascii_alnum(self.at(self.pos)) or self.at(self.pos) in b".-":
            self.pos += 1
        if self.at(self.pos) not in SPACES and self.at(self.pos) != ord(">"):
            raise TelegramHtmlError(f"Unexpected end of name token at byte offset {start}")
        return self.data[start : self.pos].decode("utf-8").lower()

    def read_end_tag(self, begin: int) -> None:
        """Consume an end tag and close the innermost open tag."""
        if not self.open_tags:
            raise TelegramHtmlError(f"Unexpected end tag at byte offset {begin}")
        while self.at(self.pos) not in SPACES and self.at(self.pos) != ord(">"):
            self.pos += 1
        found = self.data[begin + 2 : self.pos].decode("utf-8")
        self.skip_spaces()
        if self.at(self.pos) != ord(">"):
            raise TelegramHtmlError(f"Unclosed end tag at byte offset {begin}")
        self.pos += 1
        expected = self.open_tags[-1].name
        # The end tag is compared as written with the lower-cased start tag name.
        if found and found != expected:
            raise TelegramHtmlError(
                f'Unmatched end tag at byte offset {begin}, expected "</{expected}>", '
                f'found "</{found}>"'
            )
        self.close(self.open_tags.pop())

    def close(self, tag: _OpenTag) -> None:
        """Turn a closed tag into an entity; empty ones vanish like on Telegram."""
        length = self.utf16 - tag.utf16_offset
        if length <= 0:
            return
        covered = self.text_since(tag.utf16_offset) if tag.name == "a" else ""
        entity = _entity_for(tag, length, covered)
        if entity is None or self.merge_pre_code(entity):
            return
        self.entities.append(entity)

    def text_since(self, utf16_offset: int) -> str:
        """Plain text emitted after a UTF-16 offset."""
        encoded = "".join(self.out).encode("utf-16-le", "surrogatepass")
        return encoded[utf16_offset * 2 :].decode("utf-16-le", "surrogatepass")

    def merge_pre_code(self, entity: HtmlEntity) -> bool:
        """Fold pre and language-tagged code over the same span into one pre with a language."""
        for index, other in enumerate(self.entities):
            same_span = (other.offset, other.length) == (entity.offset, entity.length)
            if not same_span or {other.type, entity.type} != {"pre", "code"}:
                continue
            language = other.language if other.type == "code" else entity.language
            if language:
                self.entities[index] = HtmlEntity(
                    "pre", entity.offset, entity.length, language=language
                )
                return True
        return False


def _make_open_tag(name: str, attributes: list[_Attribute], begin: int, offset: int) -> _OpenTag:
    """Build the open-tag record from the attributes Telegram looks at."""
    argument = ""
    expandable = False
    for attribute in attributes:
        value = attribute.value or ""
        if name == "a" and attribute.name == "href":
            argument = value
        elif name == "code" and attribute.name == "class" and value.startswith("language-"):
            argument = value.removeprefix("language-")
        elif name == "span" and attribute.name == "class" and value.startswith("tg-"):
            argument = value.removeprefix("tg-")
        elif name == "tg-emoji" and attribute.name == "emoji-id":
            argument = value
        elif name == "blockquote" and attribute.name == "expandable":
            expandable = True
    if name == "span" and argument != "spoiler":
        raise TelegramHtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return _OpenTag(name, argument, offset, expandable)


def _entity_for(tag: _OpenTag, length: int, covered: str) -> HtmlEntity | None:
    """Return the entity a closed tag produces, or None when Telegram drops it."""
    kind = ENTITY_TYPES[tag.name]
    offset = tag.utf16_offset
    if kind == "text_link":
        # Without href the link text is the URL; an invalid URL silently loses the link.
        url = normalise_url(tag.argument or covered)
        return HtmlEntity(kind, offset, length, url=url) if url else None
    if kind == "custom_emoji":
        if not tag.argument:
            return None
        return HtmlEntity(kind, offset, length, custom_emoji_id=tag.argument)
    if kind == "blockquote" and tag.expandable:
        return HtmlEntity("expandable_blockquote", offset, length)
    # A code language is kept only until it can be merged into an enclosing pre.
    language = tag.argument if kind == "code" and tag.argument else None
    return HtmlEntity(kind, offset, length, language=language)


def _entity_order(entity: HtmlEntity) -> tuple[int, int, int]:
    """Sort key Telegram uses: by offset, longer first, then by type priority."""
    return entity.offset, -entity.length, TYPE_PRIORITY.get(entity.type, 50)


def _without_code_language(entity: HtmlEntity) -> HtmlEntity:
    """Drop the transient language of a code entity."""
    return replace(entity, language=None) if entity.type == "code" else entity


def normalise_url(url: str) -> str | None:
    """Telegram's link clean-up: default http scheme, '/' after the host; None if invalid."""
    if not url or any(char.isspace() for char in url):
        return None
    if url.lower().startswith("tg://"):
        return url
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "http", url
    if scheme.lower() not in URL_SCHEMES:
        return None
    host_end = next((i for i, char in enumerate(rest) if char in "/?#"), len(rest))
    host, path = rest[:host_end], rest[host_end:]
    if not URL_HOST.match(host):
        return None
    return f"{scheme}://{host}{path if path.startswith('/') else '/' + path}"


def _decode_entity(data: bytes, start: int) -> tuple[str, int, bool] | None:
    """Decode the entity at start; return (char, end, had_semicolon) or None if unknown."""
    if data[start + 1 : start + 2] == b"#":
        decoded = _decode_numeric(data, start)
    else:
        end = start + 1
        while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        name = NAMED_ENTITIES.get(data[start + 1 : end])
        decoded = None if name is None else (name, end)
    if decoded is None:
        return None
    char, end = decoded
    if data[end : end + 1] == b";":
        return char, end + 1, True
    return char, end, False


def _decode_numeric(data: bytes, start: int) -> tuple[str, int] | None:
    """Decode &#NN or &#xHH (without the semicolon); None when it is no valid reference."""
    end = start + 2
    hexadecimal = data[end : end + 1] in (b"x", b"X")
    digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
    end += 1 if hexadecimal else 0
    digits_start = end
    while end < len(data) and data[end] in digits:
        end += 1
    if end == digits_start or end - start >= 10:
        return None
    code_point = int(data[digits_start:end], 16 if hexadecimal else 10)
    if code_point == 0 or code_point >= MAX_CODE_POINT:
        return None
    if 0xD800 <= code_point <= 0xDFFF:
        raise TelegramHtmlError(SURROGATE_ERROR)
    return chr(code_point), end


def _entity_complaint(data: bytes, start: int) -> str:
    """Describe an '&' that does not start a known entity (strict mode only)."""
    end = start + 1
    while end < len(data) and (_is_ascii_alnum(data[end]) or data[end] == ord("#")):
        end += 1
    if end == start + 1:
        return f'Character "&" must be escaped as "&amp;" at byte offset {start}'
    if data[end : end + 1] == b";":
        end += 1
    raw = data[start:end].decode("utf-8")
    return f'Unsupported HTML entity "{raw}" at byte offset {start}'


def _is_ascii_alnum(byte: int) -> bool:
    """ASCII letter or digit."""
    return chr(byte).isascii() and chr(byte).isalnum()


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram measures text in."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def strip_message_text(parsed: ParsedHtml) -> ParsedHtml:
    """Trim surrounding whitespace as Telegram does, shifting entities to match."""
    stripped = parsed.text.strip()
    if stripped == parsed.text:
        return parsed
    shift = utf16_length(parsed.text[: len(parsed.text) - len(parsed.text.lstrip())])
    limit = utf16_length(stripped)
    entities: list[HtmlEntity] = []
    for entity in parsed.entities:
        begin = max(entity.offset - shift, 0)
        end = min(entity.offset + entity.length - shift, limit)
        if end > begin:
            entities.append(replace(entity, offset=begin, length=end - begin))
    return ParsedHtml(stripped, tuple(entities))


def parse_telegram_html_entities(text: str, *, strict_entities: bool = True) -> ParsedHtml:
    """Parse HTML the way Telegram does; return the plain text and its entities."""
    return _Parser(text.encode("utf-8"), strict_entities).run()


def parse_telegram_html(text: str, *, strict_entities: bool = True) -> str:
    """Return the plain text Telegram would show, or raise TelegramHtmlError.

    With strict_entities (the default) every '&' must start a terminated, known entity,
    as the Bot API documentation demands. Telegram itself keeps an unknown or bare '&'
    literally and accepts "&lt" without ';': pass strict_entities=False for exactly that.
    """
    return parse_telegram_html_entities(text, strict_entities=strict_entities).text
