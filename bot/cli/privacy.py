"""CLI for secrets and residents' data rights: `token-key new|rotate`, `privacy export|erase|purge`.

An officer handles a request made in person with the person's Zalo id, phone or a ticket code;
every export and erasure is written to the audit trail (audit_log) with the officer's name.
"""
from __future__ import annotations

import json
import sys

from bot.cli.settings import add_ward_option, load, load_ward


def _actor(args) -> str:
    import getpass

    who = args.by or getpass.getuser()
    return f"cán bộ (CLI): {who}"


# --- token-key -----------------------------------------------------------------------------

def cmd_token_key(args) -> int:
    from storage.token_cipher import TokenCipher, new_key, parse_keys

    if args.action == "new":
        print(new_key())
        return 0
    from bot.at_rest import token_keys

    settings = load()
    cipher = TokenCipher(parse_keys(token_keys(settings)) + parse_keys(args.old or ""))
    resealed = reseal_every_ward(settings, cipher)
    if resealed:
        print(f"Đã mã hóa lại bằng khóa mới: {', '.join(resealed)}. Giờ có thể bỏ khóa cũ khỏi "
              "TOKEN_ENCRYPTION_KEY.")
    else:
        print("Token Zalo và khóa bí mật của mọi phường đã được mã hóa bằng khóa hiện tại (hoặc chưa "
              "có gì để mã hóa): không cần làm gì.")
    return 0


def reseal_every_ward(settings, cipher) -> list[str]:
    """Every ward's token pair and stored secrets under the current key (the first of `cipher`'s
    keys): the key is one for the whole deployment. Returns what was rewritten, in words."""
    from storage import wards
    from storage.base import Ward
    from storage.db import session_scope
    from storage.scoping import ALL_WARDS
    from storage.tokens import DbTokenStore

    done = []
    with session_scope(ALL_WARDS) as session:
        configs = wards.all_wards(session, cipher)  # decrypted with whichever key opens them
        for config in configs:
            row = session.get(Ward, config.id)
            stale = {name: getattr(config, name) for name in wards.SECRET_FIELDS
                     if cipher.needs_sealing(getattr(row, name))}
            if stale:
                wards.update(session, config.code, stale, cipher)
                done.append(f"khóa bí mật của phường {config.code}")
    for config in configs:
        env = settings.for_ward(config)
        if DbTokenStore(env.zalo_access_token, env.zalo_refresh_token, cipher=cipher,
                        ward_id=config.id).seal():
            done.append(f"token Zalo của phường {config.code}")
    return done


# --- privacy -------------------------------------------------------------------------------

def cmd_privacy(args) -> int:
    from storage import privacy
    from storage.db import session_scope

    if args.action == "purge":  # the retention periods are the deployment's: every ward at once
        settings = load()
        print(purge_summary(purge_now(settings, actor=_actor(args)), settings))
        return 0
    if not args.ref:
        sys.stderr.write("Cần Zalo id, số điện thoại hoặc mã phiếu, ví dụ: privacy export PA-2026-0001\n")
        return 2
    ward, settings = load_ward(args)  # a Zalo id, a phone or a code is looked up in this ward only
    with session_scope(ward.id) as session:
        subject = privacy.find_subject(session, args.ref)
        if not subject.found:
            sys.stderr.write("Không tìm thấy dữ liệu nào theo thông tin đã nhập.\n")
            return 1
        reference = subject.reference()
        if args.action == "export":
            if not args.out:
                sys.stderr.write("Cần --out <tệp.json> để ghi dữ liệu xuất ra.\n")
                return 2
            from storage.files import write_private

            data = privacy.export(session, subject)
            write_private(args.out, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            privacy.audit(session, _actor(args), "privacy_export", reference,
                          {"tickets": len(data["tickets"]), "residents": len(data["residents"])})
            print(f"Đã xuất dữ liệu của {len(data['residents'])} hồ sơ Zalo và {len(data['tickets'])} "
                  f"phiếu vào {args.out} (chỉ chủ tệp được đọc). Đã ghi nhật ký.")
            return 0
        # erase
        if not args.yes:
            print(f"Sẽ xóa thông tin cá nhân của {len(subject.residents)} hồ sơ Zalo và ẩn danh "
                  f"{len(subject.tickets)} phiếu ({', '.join(t.code for t in subject.tickets) or 'không có'}). "
                  "Chạy lại với --yes để thực hiện.")
            return 1
        done = privacy.erase(session, subject, _actor(args))
        privacy.audit(session, _actor(args), "privacy_erase", reference, done.as_dict())
    print(f"Đã xóa tên, số điện thoại, Zalo id, địa chỉ của {done.residents} hồ sơ; {done.photos} ảnh/tệp/vị trí; "
          f"nội dung {done.messages} tin đến và {done.replies} tin đã gửi. {len(done.codes)} phiếu được giữ "
          f"ẩn danh: {', '.join(done.codes) or 'không có'}. Đã ghi nhật ký.")
    print(_sync_sheet(ward, settings))
    return 0


def _sync_sheet(ward, settings) -> str:
    """The officers' sheet shows the anonymised rows now rather than at the next cycle."""
    from sheets_sync.client import is_configured

    if not is_configured(settings):
        return "Chưa cấu hình Google Sheet: không có bảng nào cần cập nhật."
    if not ward.is_default:  # the sync from here works for the default ward only (cli.settings.default_ward_only)
        return "Bảng tính của phường sẽ được cập nhật ở lần đồng bộ tự động tiếp theo (trong vòng vài phút)."
    from bot.runtime.sheets import run_cycle
    from sheets_sync.client import SheetsUnavailable

    try:
        run_cycle(settings)
    except SheetsUnavailable:
        return "Google Sheet chưa cập nhật được lúc này; lần đồng bộ tự động tiếp theo sẽ cập nhật."
    return "Đã cập nhật bảng theo dõi trên Google Sheet."


def purge_now(settings, *, actor: str) -> dict:
    """Retention purge with the configured days, in every ward, in short transactions (a first
    run after a year may empty hundreds of thousands of rows), recorded in each ward's audit
    trail if it did anything there. Returns the totals."""
    from storage.db import session_scope
    from storage.scoping import ALL_WARDS
    from storage.wards import all_wards

    with session_scope(ALL_WARDS) as session:
        ward_ids = [w.id for w in all_wards(session)]
    total = {"inbound_payloads": 0, "outbox_payloads": 0, "conversations": 0}
    for ward_id in ward_ids:
        for kind, n in _purge_ward(settings, ward_id, actor).items():
            total[kind] += n
    return total


def _purge_ward(settings, ward_id: int, actor: str) -> dict:
    from storage import privacy
    from storage.db import session_scope

    total = {"inbound_payloads": 0, "outbox_payloads": 0, "conversations": 0}
    while True:
        with session_scope(ward_id) as session:
            counts = privacy.purge(session, inbound_days=settings.retention_days_inbound_payload,
                                   outbox_days=settings.retention_days_outbox_payload,
                                   conversation_days=settings.retention_days_conversations,
                                   batch=privacy.PURGE_BATCH)
        for kind, n in counts.items():
            total[kind] += n
        if max(counts.values()) < privacy.PURGE_BATCH:
            break
    if any(total.values()):
        with session_scope(ward_id) as session:
            privacy.audit(session, actor, "privacy_purge", None, total)
    return total


def purge_summary(counts: dict, settings) -> str:
    return (f"Đã xóa nội dung {counts['inbound_payloads']} tin đến (quá {settings.retention_days_inbound_payload} ngày), "
            f"{counts['outbox_payloads']} tin đã gửi (quá {settings.retention_days_outbox_payload} ngày), "
            f"{counts['conversations']} hội thoại đã kết thúc (quá {settings.retention_days_conversations} ngày).")


def register(sub) -> None:
    p = sub.add_parser("token-key", help="khóa mã hóa token Zalo: new (tạo khóa), rotate (mã hóa lại "
                                         "token và khóa bí mật của mọi phường)")
    p.add_argument("action", choices=("new", "rotate"))
    p.add_argument("--old", default=None, help="rotate: khóa cũ, viết --old=KHÓA (khóa có thể bắt đầu bằng dấu -)")
    p.set_defaults(func=cmd_token_key)

    p = sub.add_parser("privacy", help="quyền dữ liệu của người dân: export, erase (trong một phường); "
                                       "purge theo hạn lưu (mọi phường)")
    p.add_argument("action", choices=("export", "erase", "purge"))
    p.add_argument("ref", nargs="?", default=None, help="Zalo id, số điện thoại hoặc mã phiếu")
    p.add_argument("--out", default=None, help="export: tệp JSON ghi ra")
    p.add_argument("--yes", action="store_true", help="erase: xác nhận xóa")
    p.add_argument("--by", default=None, help="tên cán bộ thực hiện (ghi vào nhật ký)")
    add_ward_option(p)
    p.set_defaults(func=cmd_privacy)
