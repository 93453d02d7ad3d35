"""/subscribe, /unsubscribe and /list as a reader uses them."""

from __future__ import annotations

from tests.factories import news
from tests.inprocess import RunningBot

BUDI = 101


async def test_subscribe_without_a_topic_explains_how(warta: RunningBot) -> None:
    reply = await warta.say(BUDI, "/subscribe")
    assert "/subscribe Korea Utara" in reply
    assert await warta.services.storage.list_topics(BUDI) == []


async def test_each_comma_separated_topic_is_added_once(warta: RunningBot) -> None:
    reply = await warta.say(BUDI, "/subscribe Korea Utara, Ukraina , banjir Serang")
    assert "Korea Utara, Ukraina, banjir Serang" in reply
    again = await warta.say(BUDI, "/langganan korea utara")
    assert "Sudah diikuti" in again
    topics = [t.text for t in await warta.services.storage.list_topics(BUDI)]
    assert topics == ["Korea Utara", "Ukraina", "banjir Serang"]


async def test_topics_of_the_wrong_size_are_refused_with_the_reason(warta: RunningBot) -> None:
    reply = await warta.say(BUDI, "/subscribe x, " + "panjang " * 10)
    assert "minimal 2 karakter" in reply
    assert "maksimal 60 karakter" in reply
    assert await warta.services.storage.list_topics(BUDI) == []


async def test_a_malformed_query_is_refused_and_never_stored(warta: RunningBot) -> None:
    reply = await warta.say(BUDI, '/subscribe "Korea Utara, (banjir OR, -Rusia')
    assert "Tidak ditambahkan" in reply
    assert await warta.services.storage.list_topics(BUDI) == []


async def test_a_chat_follows_at_most_twenty_topics(warta: RunningBot) -> None:
    many = ", ".join(f"topik nomor {n}" for n in range(19))
    await warta.say(BUDI, f"/subscribe {many}")
    reply = await warta.say(BUDI, "/subscribe gempa, tsunami")
    assert "gempa" in reply.split("\n")[0]
    assert "Batas 20 topik" in reply
    assert "tsunami" in reply.split("Batas")[1]
    assert len(await warta.services.storage.list_topics(BUDI)) == 20


async def test_hostile_topic_text_is_shown_escaped(warta: RunningBot) -> None:
    reply = await warta.say(BUDI, "/subscribe <b>Serang</b> & <script>")
    assert "<b>Serang</b> & <script>" in reply
    listing = await warta.say(BUDI, "/list")
    assert "<b>Serang</b> & <script>" in listing


async def test_list_shows_the_forms_a_topic_also_covers(warta: RunningBot) -> None:
    await warta.say(BUDI, "/subscribe Korea Utara")
    listing = await warta.say(BUDI, "/topik")
    assert "Korea Utara" in listing
    assert "Korut" in listing


async def test_unsubscribe_by_name_ignores_case(warta: RunningBot) -> None:
    await warta.say(BUDI, "/subscribe Korea Utara, Ukraina")
    assert "Berhenti mengikuti" in await warta.say(BUDI, "/unsubscribe KOREA utara")
    assert "tidak ada" in await warta.say(BUDI, "/berhenti Korea Utara")
    assert [t.text for t in await warta.services.storage.list_topics(BUDI)] == ["Ukraina"]


async def test_unsubscribe_buttons_remove_the_pressed_topic(warta: RunningBot) -> None:
    telegram = warta.telegram
    await warta.say(BUDI, "/subscribe Korea Utara, Ukraina")
    await warta.say(BUDI, "/unsubscribe")
    prompt = telegram.messages_to(BUDI)[-1]
    labels = [button["text"] for button in prompt.buttons]
    assert labels == ["❌ Korea Utara", "❌ Ukraina"]
    telegram.press_button(BUDI, prompt.message_id, prompt.callback_data[0])
    await telegram.wait_for(lambda tg: len(tg.edits_in(BUDI)) == 1)
    edited = telegram.message(BUDI, prompt.message_id)
    assert edited is not None
    assert [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row] == [
        "❌ Ukraina"
    ]
    assert [t.text for t in await warta.services.storage.list_topics(BUDI)] == ["Ukraina"]
    # A second press on the same (now stale) button changes nothing and is answered.
    telegram.press_button(BUDI, prompt.message_id, prompt.callback_data[0])
    await telegram.wait_for(lambda tg: len(tg.callback_answers) == 2)
    assert [t.text for t in await warta.services.storage.list_topics(BUDI)] == ["Ukraina"]


async def test_list_without_topics_says_how_to_start(warta: RunningBot) -> None:
    assert "/subscribe Korea Utara" in await warta.say(BUDI, "/list")


async def test_arguments_on_the_next_line_are_read_whole(warta: RunningBot) -> None:
    # Phones put the topic on a new line after the command picked from the menu.
    added = await warta.say(BUDI, "/subscribe\nKorea Utara,\tUkraina")
    assert "Korea Utara, Ukraina" in added
    assert [t.text for t in await warta.services.storage.list_topics(BUDI)] == [
        "Korea Utara",
        "Ukraina",
    ]
    tried = await warta.say(BUDI, "/test@warta_test_bot\n\nKorea Utara")
    assert "Korea Utara" in tried
    removed = await warta.say(BUDI, "/unsubscribe\nKorea Utara")
    assert "Berhenti mengikuti: Korea Utara" in removed
    assert [t.text for t in await warta.services.storage.list_topics(BUDI)] == ["Ukraina"]
    assert "now English" in await warta.say(BUDI, "/language\nen")


async def test_list_says_how_a_place_and_a_word_are_read(warta: RunningBot) -> None:
    before = len(warta.telegram.messages_to(BUDI))
    await warta.say(BUDI, "/subscribe Batu, banjir, =mudik")
    # "Batu" is also a word: which one is meant is asked after the reply.
    await warta.telegram.wait_for_messages(BUDI, before + 2)
    listing = await warta.say(BUDI, "/list")
    assert "Batu — kota di Jawa Timur" in listing
    assert "=Batu" in listing  # how to ask for the word itself
    assert "kebanjiran" in listing.split("banjir", 1)[1]
    assert "pemudik" not in listing  # "=mudik" asked for the exact word only
    await warta.say(BUDI, "/language en")
    english = await warta.say(BUDI, "/list")
    assert "Batu — city in Jawa Timur" in english


async def test_a_phrase_that_finds_nothing_is_offered_as_and(warta: RunningBot) -> None:
    warta.feeds.publish(
        "/banten.xml",
        [
            news("1", "Banjir rendam 300 rumah di Kota Serang", hours_ago=2),
            news("2", "Harga cabai di Pandeglang turun", hours_ago=1),
        ],
    )
    await warta.poll()
    telegram = warta.telegram
    # "harga cabai" finds its item as a phrase: no hint for it.
    await warta.say(BUDI, "/subscribe harga cabai, banjir Serang")
    replies = await telegram.wait_for_messages(BUDI, 2)
    hint = replies[1]
    assert "banjir Serang" in (hint.plain_text or "")
    assert "banjir AND Serang" in (hint.plain_text or "")
    data = hint.callback_data[0]
    assert len(data.encode()) <= 64
    assert len(telegram.messages_to(BUDI)) == 2
    telegram.press_button(BUDI, hint.message_id, data)
    await telegram.wait_for(lambda tg: len(tg.edits_in(BUDI)) == 1)
    topics = [t.text for t in await warta.services.storage.list_topics(BUDI)]
    assert topics == ["harga cabai", "banjir AND Serang"]
    edited = telegram.message(BUDI, hint.message_id)
    assert edited is not None
    assert "banjir AND Serang" in edited["text"]
