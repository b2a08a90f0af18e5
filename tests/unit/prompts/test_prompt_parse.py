from stprompt_core.prompts.parse import clean_item, dedupe_key, parse_items, truncate_at


def test_bullets_numbers_quotes_and_case_are_cleaned():
    assert clean_item("- A man punching a man.") == "a man punching a man"
    assert clean_item("3) \"two cars crashing\"") == "two cars crashing"
    assert clean_item("* TV screen on a wall") == "TV screen on a wall"
    assert clean_item("- people riding bikes (town/village).") == "people riding bikes"


def test_dedupe_ignores_case_punctuation_and_articles():
    raw = "- a car on fire\n- A car on fire.\n- the car on fire\n- a burning house"
    out = parse_items(raw)
    assert out.items == ["a car on fire", "a burning house"]
    assert [r for _, r in out.rejected] == ["duplicate", "duplicate"]
    assert dedupe_key("The  Car, on fire!") == "car on fire"


def test_junk_is_rejected_with_reasons():
    raw = "\n".join([
        "- Event: arson",                                   # echo
        "- fire",                                          # too short
        "- " + " ".join(["word"] * 20),                    # too long
        "- see http://example.com for details",            # markup
        "- a {placeholder} here",                          # markup
        "- 123 456 789 000",                               # not text
        "- fire fire fire everywhere",                     # repeats
        "- what is this event?",                           # echo
        "- a person setting fire to a car",                # kept
    ])
    out = parse_items(raw)
    assert out.items == ["a person setting fire to a car"]
    assert [r for _, r in out.rejected] == ["echo", "too short", "too long", "markup", "markup", "not text",
                                            "repeats", "echo"]


def test_limit_seen_and_determinism():
    raw = "- a man running\n- a woman running\n- a dog running\n- a cat running"
    seen = {dedupe_key("a man running")}
    out = parse_items(raw, seen=seen, limit=2)
    assert out.items == ["a woman running", "a dog running"]
    assert out.rejected == [("- a man running", "duplicate")]
    assert parse_items(raw).items == parse_items(raw).items


def test_truncate_at_first_stop():
    assert truncate_at(" a fire\n- smoke\n\nEvent: theft\n- x", ("\n\n", "\nEvent")) == " a fire\n- smoke"
    assert truncate_at("no stop", ("\n\n",)) == "no stop"
