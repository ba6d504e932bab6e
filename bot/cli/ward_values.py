"""A ward's fields as the IT officer gives them (`wards add/set` flags, `wards import` keys),
checked before anything is written, and saved with the ward's token pair in one transaction."""
from __future__ import annotations

# (field, flag help) — the fields of `add`, `set` and of each [[ward]] of `import`.
FIELDS = (
    ("name", "tên phường, ví dụ \"Phường An Hải\""),
    ("zalo_app_id", "App ID của ứng dụng Zalo"),
    ("zalo_app_secret", "khóa bí mật của ứng dụng Zalo (được mã hóa khi lưu)"),
    ("zalo_oa_id", "OA ID của Zalo OA của phường"),
    ("zalo_oa_secret_key", "OA Secret Key, ký webhook (được mã hóa khi lưu)"),
    ("zalo_access_token", "access token của OA (được mã hóa khi lưu)"),
    ("zalo_refresh_token", "refresh token của OA (được mã hóa khi lưu)"),
    ("sheet_id", "ID bảng tính Google Sheets của phường"),
    ("officers", "Zalo user id của cán bộ trực, cách nhau bởi dấu phẩy"),
    ("ward_profile_file", "tệp hồ sơ phường (thông tin địa phương cho câu trả lời hỏi đáp)"),
)
NAMES = tuple(name for name, _ in FIELDS)
REQUIRED = ("name", "zalo_app_id", "zalo_app_secret", "zalo_oa_id", "zalo_oa_secret_key",
            "zalo_access_token", "zalo_refresh_token")
TOKENS = ("zalo_access_token", "zalo_refresh_token")


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def field_problems(values: dict, *, new: bool, default: bool) -> list[tuple[str, str]]:
    """(field, what is wrong) for one ward's values, before anything is written. A new ward
    needs every required field; an existing one (other than `default`, which .env completes)
    may not have one emptied; the token pair is set whole."""
    problems = [(name, "không có trường này") for name in values if name not in NAMES]
    for name, value in values.items():
        if name == "officers" and isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                problems.append((name, "danh sách Zalo user id phải là các chuỗi"))
        elif name in NAMES and not isinstance(value, str):
            problems.append((name, "phải là chuỗi (đặt trong dấu ngoặc kép)"))
    for name in REQUIRED:
        empty = not str(values.get(name) or "").strip()
        if new and empty:
            problems.append((name, "thiếu (bắt buộc khi thêm phường)"))
        elif not new and not default and name in values and empty:
            problems.append((name, "không được để trống"))
    given = [name for name in TOKENS if values.get(name)]
    if len(given) == 1:
        problems.append((TOKENS[1 - TOKENS.index(given[0])],
                         "cần cả access token và refresh token (cặp token Zalo cấp cùng lúc)"))
    return problems


def save(session, settings, code: str, values: dict, cipher):
    """Add or update one ward, its token pair included, in the caller's transaction (a session
    of storage.scoping.ALL_WARDS: the pair is written to that ward's row). WardError says why
    the ward is refused."""
    from storage import wards
    from storage.tokens import DbTokenStore, Tokens

    stored = {("officer_zalo_ids" if k == "officers" else k): v for k, v in values.items()
              if k not in TOKENS}
    if "officer_zalo_ids" in stored:
        raw = stored["officer_zalo_ids"]
        stored["officer_zalo_ids"] = ",".join(wards.officers_of(raw if isinstance(raw, str) else ",".join(raw)))
    if wards.by_code(session, code) is None:
        config = wards.add(session, code, stored, cipher)
    else:
        config = wards.update(session, code, stored, cipher)
    if values.get("zalo_access_token"):
        env = settings.for_ward(config)  # the environment's pair counts for `default` only
        DbTokenStore(env.zalo_access_token, env.zalo_refresh_token, cipher=cipher,
                     ward_id=config.id).replace(session, Tokens(values["zalo_access_token"].strip(),
                                                                values["zalo_refresh_token"].strip()))
    return config
