"""Publishing the weekly bulletin: the draft to reviewers, the approved issue to every branch.

``service.publish`` builds (or reuses) the week's bulletin through ``build_bulletin``,
plans who gets what (``recipients``), writes the mails (``messages``), sends them over
SMTP (``smtp``) and the group-chat notice (``webhook``), and records every delivery in
the service's database (``models``, ``repository``).
"""
