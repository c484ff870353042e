"""Brand identification, opt-out instructions and the disclosures per message type."""

from __future__ import annotations

from tests.brandguard.support import PREFIX, STOP, clean, make_policy, rules, run

# --- BRAND_ID ------------------------------------------------------------------------


def test_it_blocks_a_text_that_never_names_the_brand():
    report = run("Our fall sale starts now." + STOP)
    assert "BRAND_ID" in report.rules
    assert not report.passed


def test_it_accepts_the_brand_anywhere_and_in_any_case():
    assert "BRAND_ID" not in rules("New tents in store at summit outfitters today." + STOP)
    assert "BRAND_ID" not in rules("SUMMIT OUTFITTERS: new tents." + STOP)


def test_a_link_to_the_brand_domain_does_not_identify_the_brand():
    assert "BRAND_ID" in rules("New tents: summitoutfitters.com/tents" + STOP)


def test_a_brand_name_glued_into_another_word_does_not_count():
    policy = make_policy(brand_name="Acme")
    assert "BRAND_ID" in rules("Acmeville store opens Friday." + STOP, policy)
    assert "BRAND_ID" not in rules("Acme's store opens Friday." + STOP, policy)


def test_brand_id_is_not_judged_without_a_brand_name():
    assert "BRAND_ID" not in rules("Our fall sale starts now." + STOP, make_policy(brand_name=""))


def test_the_brand_id_fix_adds_the_brand_prefix():
    report = run("Our fall sale starts now." + STOP)
    assert report.fixed_text == PREFIX + "Our fall sale starts now." + STOP
    assert [(e.rule, e.span, e.after) for e in report.fix_diff] == [
        ("BRAND_ID", (0, 0), PREFIX)
    ]
    assert report.fixed_findings == []


# --- OPTOUT_FIRST / OPTOUT_PERIODIC -----------------------------------------------------


def test_a_first_message_without_opt_out_is_blocked():
    report = run(PREFIX + "Welcome to the club.", first_message=True)
    assert "OPTOUT_FIRST" in report.rules
    assert not report.passed


def test_any_standard_opt_out_wording_satisfies_the_first_message():
    for line in ("Reply STOP to opt out", "Txt STOP to end", "reply stop to unsubscribe",
                 "Text END to quit", "STOP to opt out", "Reply with 'STOP' to cancel",
                 "To unsubscribe, reply UNSUBSCRIBE"):
        assert "OPTOUT_FIRST" not in rules(PREFIX + "Welcome. " + line, first_message=True)


def test_the_word_stop_in_other_copy_is_not_an_opt_out_instruction():
    text = PREFIX + "Questions? Reply. Stop by the store to try boots on."
    assert "OPTOUT_FIRST" in rules(text, first_message=True)
    text = PREFIX + "Don't stop exploring: end-to-end trail maps inside."
    assert "OPTOUT_FIRST" in rules(text, first_message=True)


def test_a_later_marketing_message_needs_no_opt_out_within_30_days():
    text = PREFIX + "New tents are in."
    assert "OPTOUT_PERIODIC" not in rules(text, days_since_last_optout_notice=29)
    assert "OPTOUT_PERIODIC" not in rules(text)  # not tracked: cannot be judged


def test_a_marketing_message_30_days_after_the_last_notice_needs_opt_out():
    report = run(PREFIX + "New tents are in.", days_since_last_optout_notice=30)
    assert "OPTOUT_PERIODIC" in report.rules
    assert report.fixed_text == PREFIX + "New tents are in." + STOP


def test_the_opt_out_fix_appends_the_standard_line_with_a_sentence_break():
    report = run(PREFIX + "Welcome to the club", first_message=True)
    assert report.fixed_text == PREFIX + "Welcome to the club. Reply STOP to opt out"
    assert report.fix_diff[-1].rule == "OPTOUT_FIRST"
    assert "OPTOUT_FIRST" not in {f.rule for f in report.fixed_findings}


def test_the_opt_out_line_follows_a_link_without_a_period_that_would_break_it():
    report = run(PREFIX + "New tents: summitoutfitters.com/tents", first_message=True)
    assert report.fixed_text.endswith("summitoutfitters.com/tents Reply STOP to opt out")


def test_opt_in_confirmations_and_help_replies_need_opt_out_too():
    assert "OPTOUT_FIRST" in rules(PREFIX + "Thanks! Msg freq varies. Msg & data rates may "
                                   "apply. Reply HELP for help.",
                                   message_type="opt_in_confirmation")
    assert "OPTOUT_FIRST" in rules(PREFIX + "Help: help@summitoutfitters.com",
                                   message_type="help_reply")


def test_an_opt_out_confirmation_needs_no_opt_out_instruction():
    text = PREFIX + "You're unsubscribed and will get no more messages."
    assert "OPTOUT_FIRST" not in rules(text, message_type="opt_out_confirmation",
                                       first_message=True)


# --- OPTOUT_KEYWORD -----------------------------------------------------------------------


def test_a_non_standard_opt_out_keyword_is_blocked():
    text = PREFIX + "New tents. Text 2 to opt out"
    report = run(text)
    assert "OPTOUT_KEYWORD" in report.rules
    [(start, end)] = report.findings_for("OPTOUT_KEYWORD")[0].spans
    assert text[start:end] == "Text 2 to opt out"
    assert "OPTOUT_KEYWORD" in rules(PREFIX + "New tents. Reply NO to stop")
    assert "OPTOUT_KEYWORD" in rules(PREFIX + "New tents. Reply REMOVE to be removed")


def test_standard_keywords_are_not_non_standard():
    assert "OPTOUT_KEYWORD" not in rules(clean("New tents."))
    assert "OPTOUT_KEYWORD" not in rules(PREFIX + "New tents. Text YES to join")


def test_the_keyword_fix_replaces_the_instruction_with_reply_stop():
    report = run(PREFIX + "New tents. Text 2 to opt out", first_message=True)
    assert report.fixed_text == PREFIX + "New tents. Reply STOP to opt out"
    assert [e.rule for e in report.fix_diff] == ["OPTOUT_KEYWORD"]  # no second STOP line
    assert report.fixed_findings == []


# --- CONFIRM_* ------------------------------------------------------------------------------

CONFIRMATION = (PREFIX + "You're in for trail alerts! Msg frequency varies. Msg & data rates "
                "may apply. Reply HELP for help, STOP to opt out.")


def test_a_complete_opt_in_confirmation_passes():
    assert rules(CONFIRMATION, message_type="opt_in_confirmation") == set()


def test_each_missing_disclosure_of_an_opt_in_confirmation_is_named():
    text = PREFIX + "You're in for trail alerts! Reply STOP to opt out."
    found = rules(text, message_type="opt_in_confirmation")
    assert {"CONFIRM_RATES", "CONFIRM_FREQUENCY", "CONFIRM_HELP"} <= found


def test_common_spellings_of_the_disclosures_are_recognised():
    for freq in ("Msg freq varies", "Up to 4 msgs/mo", "2 texts per week", "4msgs/month",
                 "Message frequency may vary"):
        text = PREFIX + f"Alerts on. {freq}. Msg&Data rates may apply. Reply HELP for help. " \
            "Reply STOP to cancel"
        assert rules(text, message_type="opt_in_confirmation") == set(), freq


def test_disclosures_are_only_required_of_opt_in_confirmations():
    assert not {"CONFIRM_RATES", "CONFIRM_FREQUENCY", "CONFIRM_HELP"} & rules(clean("Hi."))


def test_the_confirmation_fix_appends_the_missing_disclosures():
    report = run(PREFIX + "You're in! Reply STOP to opt out.", message_type="opt_in_confirmation")
    assert report.fixed_text == (PREFIX + "You're in! Reply STOP to opt out. Msg frequency "
                                 "varies. Msg & data rates may apply. Reply HELP for help.")
    assert {e.rule for e in report.fix_diff} == {
        "CONFIRM_FREQUENCY", "CONFIRM_RATES", "CONFIRM_HELP"
    }
    assert report.fixed_findings == []


# --- HELP_CONTACT ---------------------------------------------------------------------------


def test_a_help_reply_without_a_contact_is_blocked():
    report = run(PREFIX + "We're here to help. Reply STOP to opt out.", message_type="help_reply")
    assert "HELP_CONTACT" in report.rules


def test_a_help_reply_with_a_phone_email_or_link_passes():
    for contact in ("Call 1-800-555-0199", "Email help@summitoutfitters.com",
                    "Visit summitoutfitters.com/help", "Call (303) 555-0100"):
        text = PREFIX + f"Help: {contact}. Reply STOP to opt out."
        assert "HELP_CONTACT" not in rules(text, message_type="help_reply"), contact


def test_the_help_contact_fix_appends_the_brand_support_contact():
    report = run(PREFIX + "We're here to help. Reply STOP to opt out.", message_type="help_reply")
    assert report.fixed_text.endswith("opt out. Help: help@summitoutfitters.com.")
    assert report.fixed_findings == []


def test_without_a_configured_contact_there_is_no_mechanical_help_fix():
    report = run(PREFIX + "We're here to help. Reply STOP to opt out.",
                 make_policy(support_contact=""), message_type="help_reply")
    assert "HELP_CONTACT" in report.rules
    assert report.fixed_text is None


# --- OPTOUT_CONFIRM_NO_MARKETING ------------------------------------------------------------


def test_an_opt_out_confirmation_may_only_confirm():
    text = PREFIX + "You're unsubscribed and will get no more messages. Reply START to rejoin."
    assert rules(text, message_type="opt_out_confirmation") == set()


def test_marketing_in_an_opt_out_confirmation_is_blocked_by_law():
    text = PREFIX + "You're unsubscribed. Before you go: 20% off boots at summitoutfitters.com"
    report = run(text, message_type="opt_out_confirmation")
    [finding] = report.findings_for("OPTOUT_CONFIRM_NO_MARKETING")
    assert finding.tier == "LAW" and finding.source == "FCC"
    assert [text[a:b] for a, b in finding.spans] == ["20% off", "summitoutfitters.com"]


def test_feel_free_is_not_a_free_offer():
    text = PREFIX + "You're unsubscribed. Feel free to reply START any time."
    assert rules(text, message_type="opt_out_confirmation") == set()


def test_brand_names_with_punctuation_or_curly_apostrophes_are_found():
    for brand, text in (("H&M", "H&M: new tees."), ("Dick’s", "Dick's Sporting: tents."),
                        ("Dick's", "Dick’s: tents."), ("Ben & Jerry’s", "ben & jerry's: new")):
        policy = make_policy(brand_name=brand)
        assert "BRAND_ID" not in rules(text + STOP, policy), brand
