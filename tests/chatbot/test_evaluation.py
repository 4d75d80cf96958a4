from pathlib import Path

import pytest
from django.core.management import call_command

from chatbot.evaluation import Report, fact_present, judge, load_examples

pytestmark = pytest.mark.django_db
HELDOUT = Path(__file__).resolve().parents[2] / "chatbot" / "eval" / "heldout.yaml"


def test_heldout_accuracy_in_fallback_mode(client, settings):
    settings.CHATBOT_RASA_ENABLED = False
    settings.AYNI_CHAT_RATE = (10_000, 60)  # one test client sends the whole held-out set
    report = Report()
    for i, example in enumerate(load_examples(str(HELDOUT))):
        response = client.post(
            "/api/chat/", {"sender": f"e{i}", "text": example["text"]}, content_type="application/json"
        )
        report.outcomes.append(judge(example, response.json()))
    failures = [(o.text, o.reason) for o in report.outcomes if not o.ok]
    assert report.accuracy() >= 0.75, failures
    assert all(o.got_guide is None for o in report.outcomes if o.expected_guide is None)


def test_heldout_set_is_separate_from_training_data():
    training = (Path(__file__).resolve().parents[2] / "chatbot" / "rasa" / "data").glob("*.yml")
    text = " ".join(p.read_text(encoding="utf-8").lower() for p in training)
    for example in load_examples(str(HELDOUT)):
        assert f"- {example['text'].lower()}\n" not in text


def test_fact_checks():
    guide = {
        "requirements": [{"text": "Cédula de identidad", "note": ""}],
        "cost": {"text": "Bs 20"},
        "duration": {"text": "2 días hábiles"},
        "office": {"name": "Secretaría de Movilidad"},
        "online": {"available": True, "url": "https://x"},
    }
    assert fact_present(guide=guide, asks="requirements", reply="• Cedula de identidad")[0]
    assert not fact_present(guide=guide, asks="cost", reply="cuesta Bs 30")[0]
    assert fact_present(guide=guide, asks="online", reply="Sí, se puede hacer en línea: https://x")[0]
    assert judge({"text": "x", "guide": None, "asks": "none"}, {"guide": None, "replies": []}).ok


def test_eval_command_prints_the_figures(capsys, settings, tmp_path):
    settings.CHATBOT_RASA_ENABLED = False
    file = tmp_path / "set.yaml"
    file.write_text(
        'examples:\n  - {text: "cuanto cuesta el catastro", guide: certificado-catastral, asks: cost}\n'
        '  - {text: "Hola", guide: null, asks: none}\n'
    )
    call_command("chatbot_eval", str(file))
    out = capsys.readouterr().out
    assert "Exactitud total: 100.0% (2/2)" in out
    assert "fallback" in out and "cost" in out
