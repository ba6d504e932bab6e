"""What the fake Zalo knows of Zalo: limits, paths and error codes (/work/shared/zalo-oa-facts.md;
[check] marks a guess the fake makes configurable)."""
from __future__ import annotations

from datetime import timedelta

# ---- What Zalo enforces (as far as the facts sheet knows) -------------------------------
MAX_TEXT_CHARS = 2000                  # NFC characters per text [sure]
MAX_BUTTONS = 5                        # "about 5" [sure-ish]
MAX_BUTTON_TITLE = 100                 # third-party docs of the same API
MAX_BUTTON_PAYLOAD = 1000
MAX_LIST_COUNT = 50                    # user/getlist [sure]
MAX_LIST_OFFSET = 9951
MAX_IMAGE_BYTES = 1024 * 1024          # upload/image, jpg/png, 1 MB [check]
IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif"}
MAX_RESIDENT_PHOTO_BYTES = 10 * 1024 * 1024   # what a phone camera sends; Zalo compresses [check]
FREE_REPLY_WINDOW = timedelta(hours=48)
REPLY_WINDOW = timedelta(days=7)
FREE_REPLIES_PER_WINDOW = 8            # helpdesk: 8 free replies per 48 h [check]; reported only
NIGHT_START_HOUR, NIGHT_END_HOUR = 22, 6
ACCESS_TOKEN_LIFETIME_S = 90000        # ~25 h; sent back as a string
DEFAULT_RATE_LIMIT_PER_MINUTE = 4000   # [check]
BUTTON_TYPES = {"oa.query.show", "oa.query.hide", "oa.open.url", "oa.open.phone", "oa.open.sms"}
TEMPLATE_TYPES = {"button", "media", "request_user_info"}

# ---- Paths ------------------------------------------------------------------------------
CS_V3 = "/v3.0/oa/message/cs"
MESSAGE_V2 = "/v2.0/oa/message"
PROMOTION_V3 = "/v3.0/oa/message/promotion"
GROUP_V3 = "/v3.0/oa/group/message"
USER_DETAIL = "/v3.0/oa/user/detail"
USER_LIST = "/v3.0/oa/user/getlist"
TAG_FOLLOWER = "/v2.0/oa/tag/tagfollower"
UNTAG_FOLLOWER = "/v2.0/oa/tag/rmfollowerfromtag"
REMOVE_TAG = "/v2.0/oa/tag/rmtag"
GET_TAGS = "/v2.0/oa/tag/gettagsofoa"
QUOTA = "/v3.0/oa/quota/message"
UPLOAD_IMAGE = "/v2.0/oa/upload/image"
OAUTH_TOKEN = "/v4/oa/access_token"

# ---- Error codes and the messages the fake answers with ---------------------------------
ERRORS = {
    -32: "Reached the limit of requests per minute",
    -201: "Parameters are invalid",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -220: "Access token has expired or has been removed",
    -230: "User has not interacted with the OA in the last 7 days",
    -234: "Cannot send this message type at night (22:00-06:00)",
    -235: "API does not support this OA type",
    -237: "Group package has expired",
    -403: "OA is not a member of this group",
}
# OAuth v4 answers with its own envelope and -140xx codes. Exact codes are [check].
OAUTH_INVALID_APP = (-14002, "invalid_app", "Invalid app_id or secret_key")
OAUTH_INVALID_REFRESH = (-14014, "invalid_refresh_token", "Refresh token is invalid or was already used")
OAUTH_INVALID_CODE = (-14019, "invalid_code", "Authorization code is invalid or expired")
OAUTH_INVALID_GRANT = (-14001, "invalid_param", "Unsupported grant_type or missing parameter")

