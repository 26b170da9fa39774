"""Sending a one-time code to a customer's email (identity mode `code`): over SMTP, or, on a
demo store only, into the server's log (the demo mailbox)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

from shopkeep.agent import phrases
from shopkeep.agent.jobs import Language

log = logging.getLogger(__name__)

phrases.register(
    {
        "code_mail_subject": {
            "en": "Your code: {code}",
            "zh": "您的验证码：{code}",
            "ko": "인증 코드: {code}",
        },
        "code_mail_body": {
            "en": "Your one-time code for the shop's chat is {code}. It is valid for {minutes} "
            "minutes and works once. If you did not ask for it, ignore this mail: nobody can "
            "see your account without it.",
            "zh": "您在商店聊天中的一次性验证码是 {code}，{minutes} 分钟内有效，只能使用一次。"
            "如果不是您本人申请，请忽略此邮件：没有验证码，任何人都无法查看您的账户。",
            "ko": "상점 채팅 일회용 인증 코드는 {code}입니다. {minutes}분 동안 한 번만 쓸 수 "
            "있어요. 요청하지 않으셨다면 이 메일을 무시하세요. 코드 없이는 누구도 계정을 볼 수 "
            "없어요.",
        },
    }
)


class Mailer(Protocol):
    def send_code(self, to: str, code: str, lang: Language, minutes: int) -> None:
        """Deliver the code to `to`; raises OSError (or smtplib's errors) when it cannot."""
        ...


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password = starttls, username, password

    def send_code(self, to: str, code: str, lang: Language, minutes: int) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = phrases.say("code_mail_subject", lang, code=code)
        message.set_content(phrases.say("code_mail_body", lang, code=code, minutes=minutes))
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username is not None and self.password is not None:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


class DemoMailbox:
    """The demo store's mailbox: the code is written to the server's log for whoever runs the
    demo to read. Only `shopkeep serve --demo-login` uses it, never a real shop."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send_code(self, to: str, code: str, lang: Language, minutes: int) -> None:
        self.sent.append((to, code))
        log.warning("DEMO MAILBOX (demo login only): one-time chat code %s", code)
