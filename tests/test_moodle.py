"""Moodle interoperability (course.moodle): every bank of the course through Moodle XML and GIFT
and back with nothing lost for the shared question types, what is lost named per question, and
real Moodle XML and GIFT written from the formats' documentation (docs.moodle.org: "Moodle XML
format", "GIFT format"; Moodle's question/format/gift/examples.txt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.bank import check_course, load_course
from course.cli import main
from course.moodle import MoodleError, bank_yaml, export_bank, import_text
from course.moodle.common import question_data

ROOT = Path(__file__).resolve().parent.parent
COURSE = load_course(ROOT / "quizzes")
BANKS = [b for b in sorted(COURSE.banks.values(), key=lambda b: b.lesson) if b.questions]


def round_trip(bank, fmt):
    out = export_bank(bank, fmt)
    back = import_text(out.data, fmt=fmt, quiz=bank.quiz, title=bank.title, lesson=bank.lesson, mode=bank.mode, pass_mark=bank.pass_mark)
    return out, back


@pytest.mark.parametrize("bank", BANKS, ids=lambda b: b.quiz)
def test_every_bank_round_trips_through_moodle_xml_with_nothing_lost(bank, tmp_path):
    out, back = round_trip(bank, "moodle-xml")
    assert back.data["questions"] == [question_data(q) for q in bank.questions]
    assert back.lost == []
    # what Moodle itself will not honour is named, per question
    for q in bank.questions:
        if q.critical:
            assert any(line.startswith(f"{q.id}: safety-critical") for line in out.lost), q.id
    # and the bank written out is one `course validate` accepts, with the same questions
    path = tmp_path / f"{bank.quiz}.yaml"
    path.write_text(bank_yaml(back.data), encoding="utf-8")
    banks, problems = check_course([path])
    assert problems == [] and banks[bank.quiz].questions == bank.questions


@pytest.mark.parametrize("bank", BANKS, ids=lambda b: b.quiz)
def test_every_bank_round_trips_through_gift_and_names_what_gift_cannot_hold(bank):
    out, back = round_trip(bank, "gift")
    ordering = [q.id for q in bank.questions if q.type == "ordering"]
    assert back.data["questions"] == [question_data(q) for q in bank.questions if q.type != "ordering"]
    for qid in ordering:  # GIFT has no ordering question: named, never dropped silently
        assert f"{qid}: GIFT has no ordering question (Moodle's ordering type is XML only); not exported, use --format moodle-xml" in out.lost
    for q in bank.questions:
        if q.type == "numeric" and q.unit:
            assert any(line.startswith(f"{q.id}: GIFT numerical questions have no units") for line in out.lost)


def test_an_assessment_banks_draw_and_pass_mark_are_named(tmp_path):
    final = COURSE.bank("final_assessment")
    out = export_bank(final, "moodle-xml")
    assert any("the assessment's draw" in line for line in out.lost) and any("the pass mark (80%)" in line for line in out.lost)


# --- real Moodle XML, as docs.moodle.org shows it -------------------------------------------------------

MOODLE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<!-- question: 0  -->
  <question type="category">
    <category><text>$course$/top/Defaults for Ketamine/Safety</text></category>
  </question>
  <question type="multichoice">
    <name><text>Dissociation watch</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>How long is a patient <b>observed</b> after a dose?</p><p><img src="@@PLUGINFILE@@/clock.png"></p>]]></text>
      <file name="clock.png" path="/" encoding="base64">iVBORw0KGgo=</file>
    </questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>At least two hours.</p>]]></text></generalfeedback>
    <defaultgrade>2.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <single>true</single>
    <shuffleanswers>true</shuffleanswers>
    <answernumbering>abc</answernumbering>
    <answer fraction="100" format="html">
      <text>At least two hours</text>
      <feedback format="html"><text>Correct!</text></feedback>
    </answer>
    <answer fraction="50" format="html">
      <text>One hour</text>
      <feedback format="html"><text>Too short.</text></feedback>
    </answer>
    <answer fraction="0" format="html"><text>Ten minutes</text></answer>
    <hint format="html"><text>Think of the label.</text></hint>
  </question>
  <question type="multichoice">
    <name><text>Checks before driving</text></name>
    <questiontext format="html"><text>Which are true?</text></questiontext>
    <generalfeedback format="html"><text>Both.</text></generalfeedback>
    <defaultgrade>1</defaultgrade>
    <single>false</single>
    <answer fraction="50"><text>No driving that day</text></answer>
    <answer fraction="50"><text>A companion goes home with them</text></answer>
    <answer fraction="-100"><text>They may drive after an hour</text></answer>
  </question>
  <question type="truefalse">
    <name><text>Spravato at home</text></name>
    <questiontext format="moodle_auto_format"><text>Spravato may be taken at home.</text></questiontext>
    <generalfeedback format="html"><text>Only in a certified setting.</text></generalfeedback>
    <answer fraction="0"><text>true</text><feedback><text>No: a certified health-care setting only.</text></feedback></answer>
    <answer fraction="100"><text>false</text><feedback><text>Right.</text></feedback></answer>
  </question>
  <question type="numerical">
    <name><text>Observation minutes</text></name>
    <questiontext format="html"><text>How many minutes at least?</text></questiontext>
    <generalfeedback format="html"><text>120 minutes.</text></generalfeedback>
    <answer fraction="100"><text>120</text><tolerance>5</tolerance><feedback><text>Yes.</text></feedback></answer>
    <answer fraction="50"><text>60</text><tolerance>0</tolerance></answer>
    <units>
      <unit><multiplier>1</multiplier><unit_name>min</unit_name></unit>
      <unit><multiplier>60</multiplier><unit_name>h</unit_name></unit>
    </units>
  </question>
  <question type="matching">
    <name><text>Match the drugs</text></name>
    <questiontext format="html"><text>Match each name to what it is.</text></questiontext>
    <generalfeedback format="html"><text>See lesson 4.</text></generalfeedback>
    <shuffleanswers>true</shuffleanswers>
    <subquestion format="html"><text>Spravato</text><answer><text>esketamine nasal spray</text></answer></subquestion>
    <subquestion format="html"><text>Ketalar</text><answer><text>ketamine injection</text></answer></subquestion>
    <subquestion format="html"><text></text><answer><text>a tablet</text></answer></subquestion>
  </question>
  <question type="ordering">
    <name><text>Steps of a session</text></name>
    <questiontext format="html"><text>Put the steps in order.</text></questiontext>
    <generalfeedback format="html"><text>Check, dose, observe, discharge.</text></generalfeedback>
    <layouttype>VERTICAL</layouttype>
    <selecttype>ALL</selecttype>
    <selectcount>0</selectcount>
    <gradingtype>RELATIVE_NEXT_EXCLUDE_LAST</gradingtype>
    <answer fraction="1.0000000" format="moodle_auto_format"><text>Check blood pressure</text></answer>
    <answer fraction="3.0000000" format="moodle_auto_format"><text>Observe</text></answer>
    <answer fraction="2.0000000" format="moodle_auto_format"><text>Give the dose</text></answer>
    <answer fraction="4.0000000" format="moodle_auto_format"><text>Discharge</text></answer>
  </question>
  <question type="essay">
    <name><text>Explain to a patient</text></name>
    <questiontext format="html"><text><![CDATA[<p>Explain why a companion is needed.</p>]]></text></questiontext>
    <generalfeedback format="html"><text></text></generalfeedback>
    <responseformat>editor</responseformat>
    <responsefieldlines>15</responsefieldlines>
    <attachments>0</attachments>
    <graderinfo format="html"><text>Sedation and dissociation can last for hours.</text></graderinfo>
    <responsetemplate format="html"><text></text></responsetemplate>
  </question>
  <question type="shortanswer">
    <name><text>Brand name</text></name>
    <questiontext format="html"><text>Name the nasal spray.</text></questiontext>
    <answer fraction="100"><text>Spravato</text></answer>
  </question>
  <question type="description">
    <name><text>Intro</text></name>
    <questiontext format="html"><text>Read this first.</text></questiontext>
  </question>
</quiz>
"""


def test_real_moodle_xml_from_the_documentation():
    done = import_text(MOODLE_XML, name="moodle.xml", quiz="from_moodle", lesson="08_from_moodle.ipynb")
    data = done.data
    assert data["title"] == "Safety"  # the category's last part
    qs = {q["id"]: q for q in data["questions"]}
    assert list(qs) == ["dissociation-watch", "checks-before-driving", "spravato-at-home", "observation-minutes", "match-the-drugs", "steps-of-a-session", "explain-to-a-patient"]
    single = qs["dissociation-watch"]
    assert single["type"] == "single_choice" and single["section"] == "Safety" and single["points"] == 2
    assert single["prompt"] == "How long is a patient **observed** after a dose?"
    assert single["explanation"] == "At least two hours."
    assert [(o["text"], o.get("correct", False), o.get("feedback")) for o in single["options"]] == [
        ("At least two hours", True, "Correct!"), ("One hour", False, "Too short."), ("Ten minutes", False, None),
    ]
    multi = qs["checks-before-driving"]
    assert multi["type"] == "multiple_choice" and [o.get("correct", False) for o in multi["options"]] == [True, True, False]
    tf = qs["spravato-at-home"]
    assert (tf["answer"], tf["feedback"]) == (False, "No: a certified health-care setting only.")
    num = qs["observation-minutes"]
    assert (num["answer"], num["tolerance"], num["unit"]) == (120, 5, "min")
    match = qs["match-the-drugs"]
    assert [(p["left"], p["right"]) for p in match["pairs"]] == [("Spravato", "esketamine nasal spray"), ("Ketalar", "ketamine injection")]
    assert [d["text"] for d in match["distractors"]] == ["a tablet"]
    assert [i["text"] for i in qs["steps-of-a-session"]["items"]] == ["Check blood pressure", "Give the dose", "Observe", "Discharge"]
    essay = qs["explain-to-a-patient"]
    assert essay["type"] == "free_text" and essay["explanation"] == "Sedation and dissociation can last for hours."
    lost = "\n".join(done.lost)
    for expected in (
        "dissociation-watch: embedded files (images) are not carried",
        "dissociation-watch: HTML markup shown as plain text (img)",
        "dissociation-watch: Moodle's hints are not carried",
        "dissociation-watch: partial credit for an option",
        "spravato-at-home: the feedback for the right answer is not carried",
        "observation-minutes: Moodle's other answers (partial credit) are not carried",
        "observation-minutes: the answer's feedback is not carried",
        "observation-minutes: units with a multiplier other than 1 are not carried",
        "steps-of-a-session: Moodle's grading type RELATIVE_NEXT_EXCLUDE_LAST is not carried",
        "Brand name: a Moodle short answer question has no course form; not imported",
        "Intro: a Moodle description (no question) question has no course form; not imported",
    ):
        assert expected in lost, expected
    assert len(done.lost) == len(set(done.lost))


def test_imported_moodle_xml_validates(tmp_path):
    done = import_text(MOODLE_XML, name="moodle.xml", quiz="from_moodle", lesson="08_from_moodle.ipynb")
    path = tmp_path / "08_from_moodle.yaml"
    path.write_text(bank_yaml(done.data), encoding="utf-8")
    banks, problems = check_course([path])
    assert problems == [] and len(banks["from_moodle"].questions) == 7


# --- real GIFT, as docs.moodle.org and Moodle's examples.txt show it ----------------------------------

GIFT = r"""// EXAMPLE QUESTIONS for the GIFT import filter (after Moodle's examples.txt)
$CATEGORY: $course$/top/Grant

::Grant's tomb::Who's buried in Grant's tomb?{~Grant ~Jefferson =no one#Right, he is entombed. ####Grant is entombed, not buried.}

Grant is {~buried =entombed ~living} in Grant's tomb.

//  ===True-False===
::TF with feedback::Grant was buried in a tomb in New York City.{TRUE#Not quite: he was entombed.#Yes.}

The sun rises in the west.{FALSE}

::Year::When was Ulysses S. Grant born?{#1822:5 ####He was born in 1822.}

What is the value of pi (to 3 decimal places)? {#3.141..3.142}

::Countries::Match the following countries with their corresponding capitals. {
    =Canada -> Ottawa
    =Italy  -> Rome
    =Japan  -> Tokyo
    =India  -> New Delhi
    }

::Select all::What two people are entombed in Grant's tomb? {
   ~%-100%No one
   ~%50%Grant
   ~%50%Grant's wife
   ~%-100%Grant's father
}

::Essay::Write a short biography of Dag Hammarskjöld. {}

::Short::Who's buried in Grant's tomb?{=Grant =Ulysses S. Grant =Ulysses Grant}

::Escapes::Which is a colon\: the sign \= or \:?{=\: ~\= ~\~ ####A colon is \:, with \{braces\} around nothing.}
"""


def test_real_gift_from_the_documentation():
    done = import_text(GIFT, name="grant.gift", quiz="grant", lesson="09_grant.ipynb")
    data = done.data
    assert data["title"] == "Grant"
    qs = {q["id"]: q for q in data["questions"]}
    tomb = qs["grant-s-tomb"]
    assert tomb["type"] == "single_choice" and tomb["explanation"] == "Grant is entombed, not buried."
    assert [(o["text"], o.get("correct", False), o.get("feedback")) for o in tomb["options"]] == [("Grant", False, None), ("Jefferson", False, None), ("no one", True, "Right, he is entombed.")]
    missing = next(q for q in qs.values() if q["prompt"].startswith("Grant is"))
    assert missing["prompt"] == "Grant is _____ in Grant's tomb." and [o["text"] for o in missing["options"] if o.get("correct")] == ["entombed"]
    tf = qs["tf-with-feedback"]
    assert (tf["type"], tf["answer"], tf["feedback"]) == ("true_false", True, "Not quite: he was entombed.")
    assert next(q for q in qs.values() if q["prompt"].startswith("The sun"))["answer"] is False
    assert (qs["year"]["answer"], qs["year"]["tolerance"], qs["year"]["explanation"]) == (1822, 5, "He was born in 1822.")
    pi = next(q for q in qs.values() if q["prompt"].startswith("What is the value of pi"))
    assert (pi["min"], pi["max"]) == (3.141, 3.142)
    assert [(p["left"], p["right"]) for p in qs["countries"]["pairs"]] == [("Canada", "Ottawa"), ("Italy", "Rome"), ("Japan", "Tokyo"), ("India", "New Delhi")]
    multi = qs["select-all"]
    assert multi["type"] == "multiple_choice" and [o["text"] for o in multi["options"] if o.get("correct")] == ["Grant", "Grant's wife"]
    assert qs["essay"]["type"] == "free_text" and qs["essay"]["prompt"] == "Write a short biography of Dag Hammarskjöld."
    escapes = qs["escapes"]
    assert escapes["prompt"] == "Which is a colon: the sign = or :?"
    assert [o["text"] for o in escapes["options"]] == [":", "=", "~"] and escapes["explanation"] == "A colon is :, with {braces} around nothing."
    lost = "\n".join(done.lost)
    assert "Short: a GIFT short-answer question (only = answers) has no course form; not imported" in lost
    assert "tf-with-feedback: the feedback for the right answer is not carried" in lost
    assert "year" not in {line.split(":")[0] for line in done.lost}  # it had a general feedback
    assert any(line.startswith("countries: no general feedback") for line in done.lost)


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("<quiz><question type='truefalse'>", "moodle-xml", "bad.xml:1:"),
        ("<html><body/></html>", "moodle-xml", "not Moodle XML (the root element is <html>"),
        ('<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><quiz>&b;</quiz>', "moodle-xml", "refused: the XML declares a DTD or entities"),
        ('<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]><quiz>&x;</quiz>', "moodle-xml", "refused"),
        ("::Title:: No answers here", "gift", "bad.xml:1: no answers between { and }"),
        ("::Unclosed title {T}", "gift", "a question title opened with :: is not closed"),
        ("<quiz></quiz>", "moodle-xml", "no question the course can use was found"),
    ],
)
def test_malformed_files_are_refused_saying_where(text, fmt, message):
    with pytest.raises(MoodleError, match=None) as refused:
        import_text(text, name="bad.xml", fmt=fmt, quiz="q", lesson="l.ipynb")
    assert message in str(refused.value)


def test_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COURSE_QUIZZES_DIR", raising=False)
    xml = tmp_path / "history.xml"
    assert main(["export-bank", "history", "--format", "moodle-xml", "--out", str(xml)]) == 0
    captured = capsys.readouterr()
    assert f"of {COURSE.bank('history').title!r} to {xml} (moodle-xml)" in captured.out
    bank = tmp_path / "08_history_again.yaml"
    assert main(["import", str(xml), "--out", str(bank)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["validate", "--no-lessons", str(bank)]) == 0
    assert main(["import", str(xml), "--out", str(bank)]) == 1  # not replaced without --replace
    assert "already exists" in capsys.readouterr().err
    gift = tmp_path / "grant.gift"
    gift.write_text(GIFT, encoding="utf-8")
    assert main(["import", str(gift), "--out", str(tmp_path / "grant.yaml")]) == 0
    err = capsys.readouterr().err
    assert "not carried: Short: a GIFT short-answer question" in err
    bad = tmp_path / "bad.xml"
    bad.write_text("<quiz><question>", encoding="utf-8")
    assert main(["import", str(bad), "--out", str(tmp_path / "bad.yaml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"course import: {bad}:1:") and not (tmp_path / "bad.yaml").exists()
    assert main(["import", str(tmp_path / "missing.xml"), "--out", str(tmp_path / "m.yaml")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["export-bank", "nope", "--format", "gift", "--out", str(tmp_path / "x.gift")]) == 1
    assert "there is no quiz 'nope'" in capsys.readouterr().err


HOSTILE = r"""quiz: hostile
title: "Braces {and} tildes ~ = # : \\ everywhere"
lesson: 01_hostile.ipynb
mode: practice
questions:
  - id: h-single
    type: single_choice
    section: "Signs: = ~ # { }"
    prompt: "Which is {right}?\n\nA second paragraph: a:b = c ~ d # e \\ f <b>not bold</b> & more"
    explanation: "Because {this} ~ that = #1: \\n is not a new line."
    options:
      - {id: a, text: "= starts like an answer", correct: true, feedback: "#feedback: with {braces}"}
      - {id: b, text: "~ tilde -> arrow"}
  - id: h-match
    type: matching
    section: One
    prompt: Match -> these.
    explanation: "Left -> right."
    pairs:
      - {id: p1, left: "a -> b", right: "c = d"}
      - {id: p2, left: "e ~ f", right: "g # h"}
    distractors:
      - {id: x, text: "{extra}"}
"""


@pytest.mark.parametrize("fmt", ["moodle-xml", "gift"])
def test_special_characters_survive_both_formats(fmt, tmp_path):
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    banks, problems = check_course([path])
    assert problems == []
    bank = banks["hostile"]
    _, back = round_trip(bank, fmt)
    assert back.data["questions"] == [question_data(q) for q in bank.questions]
    assert back.data["title"] == bank.title
