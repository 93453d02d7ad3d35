"""Every user-facing text, in one catalogue (Indonesian), ready for translation."""

from __future__ import annotations

from typing import Final

# Values are Telegram HTML: placeholders are filled with already-escaped text.
MESSAGES: Final[dict[str, str]] = {
    "start": (
        "👋 <b>Selamat datang di Warta!</b>\n"
        "Saya mengirim berita terbaru dari media nasional dan daerah "
        "tentang topik yang Anda ikuti.\n\n"
        "Ikuti topik dengan perintah:\n"
        "<code>/subscribe Korea Utara</code>\n"
        "Beberapa topik sekaligus dipisah koma:\n"
        "<code>/subscribe Ukraina, banjir Serang</code>\n\n"
        "Lihat semua perintah: /help"
    ),
    "help": (
        "<b>Perintah Warta</b>\n"
        "/subscribe &lt;topik&gt;[, topik…] — ikuti topik (alias /langganan)\n"
        "/unsubscribe [topik] — berhenti mengikuti (alias /berhenti)\n"
        "/list — topik yang Anda ikuti (alias /topik)\n"
        "/latest [kata] — 5 berita terbaru yang cocok (alias /terbaru)\n"
        "/test &lt;topik&gt; — coba topik pada berita yang sudah ada\n"
        "/help — bantuan ini\n\n"
        "Topik bisa memakai OR, AND, NOT dan tanda kurung, misalnya "
        "<code>(banjir OR longsor) AND Bogor</code> atau <code>Ukraina -Rusia</code>."
    ),
    "help_admin": ("\n\n<b>Admin</b>\n/broadcast &lt;teks&gt; — kirim pengumuman ke semua chat"),
    "unknown_command": "Perintah tidak dikenal. Ketik /help untuk daftar perintah.",
    "subscribe_usage": (
        "Tulis topiknya setelah perintah, misalnya:\n<code>/subscribe Korea Utara</code>\n"
        "Beberapa topik dipisah koma: <code>/subscribe Ukraina, banjir Serang</code>"
    ),
    "subscribe_added": "✅ Topik ditambahkan: {topics}",
    "subscribe_existing": "🔁 Sudah diikuti: {topics}",
    "subscribe_refused": "⚠️ Tidak ditambahkan: {topic} — {reason}",
    "subscribe_limit": (
        "⚠️ Batas {limit} topik per chat tercapai; {topics} tidak ditambahkan. "
        "Hapus topik lain dengan /unsubscribe."
    ),
    "subscribe_hint_list": "Lihat semua topik Anda dengan /list.",
    "topic_error_empty": "topik kosong",
    "topic_error_too_short": "topik minimal 2 karakter",
    "topic_error_too_long": "topik maksimal 60 karakter",
    "topic_error_unbalanced_quote": "tanda kutip tidak ditutup",
    "topic_error_unbalanced_paren": "tanda kurung tidak seimbang",
    "topic_error_dangling_operator": "operator {detail} tanpa kata di sampingnya",
    "topic_error_only_exclusions": (
        "topik hanya berisi pengecualian (NOT/-); tambahkan kata yang dicari"
    ),
    "unsubscribe_done": "🗑️ Berhenti mengikuti: {topic}",
    "unsubscribe_missing": "Topik {topic} tidak ada dalam daftar Anda. Lihat /list.",
    "unsubscribe_choose": "Pilih topik yang ingin dihapus:",
    "unsubscribe_gone": "Topik itu sudah tidak ada dalam daftar.",
    "no_topics": (
        "Anda belum mengikuti topik apa pun. Mulai dengan <code>/subscribe Korea Utara</code>."
    ),
    "list_header": "<b>Topik yang Anda ikuti ({count}/{limit}):</b>",
    "list_also_covers": "   juga mencakup: {forms}",
    "latest_header": "<b>Berita terbaru untuk {query}:</b>",
    "latest_header_topics": "<b>Berita terbaru untuk topik Anda:</b>",
    "latest_none": "Belum ada berita yang cocok dengan {query}. Coba lagi nanti.",
    "latest_none_topics": "Belum ada berita yang cocok dengan topik Anda. Coba lagi nanti.",
    "latest_query_invalid": "⚠️ Kata pencarian tidak valid: {reason}",
    "test_usage": "Tulis topik yang ingin dicoba, misalnya: <code>/test banjir AND Serang</code>",
    "test_header": "<b>Topik {query} akan cocok dengan:</b>",
    "test_none": "Topik {query} belum cocok dengan berita yang tersimpan.",
    "admin_only": "⛔ Perintah ini hanya untuk admin Warta.",
    "broadcast_usage": "Tulis pengumumannya: <code>/broadcast teks pengumuman</code>",
    "broadcast_queued": "📣 Pengumuman diantrikan untuk {count} chat.",
    "broadcast_done": ("📣 Pengumuman #{id} selesai: {sent} terkirim, {failed} gagal."),
    "error_generic": "⚠️ Maaf, terjadi kesalahan. Silakan coba lagi sebentar lagi.",
}

COMMAND_DESCRIPTIONS: Final[dict[str, str]] = {
    "subscribe": "Ikuti topik berita",
    "unsubscribe": "Berhenti mengikuti topik",
    "list": "Topik yang Anda ikuti",
    "latest": "Berita terbaru yang cocok",
    "test": "Coba sebuah topik",
    "help": "Bantuan",
}


def text(key: str, **values: object) -> str:
    """The message for a key, with its placeholders filled."""
    return MESSAGES[key].format(**values)
