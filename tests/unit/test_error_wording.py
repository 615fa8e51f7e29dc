"""Error wording: the error summary's heading says what happened, in plain official words, and
format errors say what to enter (GOV.UK), in Kyrgyz, Russian and English."""

import pytest

from remote_vote_app.i18n import LANGS, messages, t
from remote_vote_app.state.app import summary_title_key

TITLES = {  # the error entries a page shows -> its summary heading in ky, ru, en
    "wrong code": ({"code": {"key": "error.code_wrong", "count": "2"}},
                   ("Код туура эмес", "Неверный код", "Wrong code")),
    "deadline on a field": ({"election": {"key": "error.deadline_passed"}, "email": {"key": "error.email_required"}},
                            ("Арыз кабыл алуу бүттү", "Приём заявлений завершён", "Applications have closed")),
    "already applied": ({"form": {"key": "error.already_applied", "reference": "ART3-U3VC"}},
                        ("Арыз мурда эле берилген", "Заявление уже подано", "You have already applied")),
    "answers to correct": ({"email": {"key": "error.email_format"}, "phone": {"key": "error.phone_format"}},
                           ("Ката бар", "Есть ошибки", "There is a problem")),
    "anything else": ({"form": {"key": "error.application_not_found"}},
                      ("Аракет аткарылган жок", "Действие не выполнено", "That could not be done")),
}


@pytest.mark.parametrize("case", list(TITLES))
def test_the_error_summary_heading_says_what_happened(case):
    entries, expected = TITLES[case]
    assert tuple(t(lang, summary_title_key(entries)) for lang in ("ky", "ru", "en")) == expected


def test_no_summary_heading_asks_to_check_the_form_or_says_it_did_not_work():
    vague = ("Проверьте форму", "Не получилось", "Форманы текшериңиз", "Please check the form")
    for lang in LANGS:
        for key, text in messages(lang).items():
            if key.startswith(("ux.summary_", "apply.errors_title", "error.")):
                assert not any(v in str(text) for v in vague), (lang, key, text)


def test_a_wrong_email_says_what_to_enter_with_an_example():
    assert t("ru", "error.email_format") == "Введите адрес электронной почты в правильном формате, например name@example.kg."
    assert t("ky", "error.email_format") == "Электрондук почтанын дарегин туура форматта жазыңыз, мисалы, name@example.kg."
    assert t("en", "error.email_format") == "Enter an email address in the correct format, like name@example.kg."
