/**
 * Hộp thư số — báo máy chủ ngay khi cán bộ sửa bảng "Phiếu" (không bắt buộc: máy chủ vẫn tự
 * đọc bảng định kỳ). Cài đặt: xem sheets_sync/README.md, mục "Cài đặt". Thuộc tính tập lệnh:
 *   HTS_URL    = https://<tên-miền-của-dịch-vụ>/webhooks/sheets   (mọi phường cùng một địa chỉ)
 *   HTS_SECRET = giá trị SHEETS_WEBHOOK_SECRET trong .env của máy chủ
 * Trigger: From spreadsheet > On edit > onEditHook (trigger cài đặt, để được gọi UrlFetchApp)
 * Tin báo ghi mã bảng tính (spreadsheet_id): máy chủ nhờ đó biết phường nào vừa sửa, nên mọi
 * phường dán đúng một tệp này, không phải sửa gì.
 */
function onEditHook(e) {
  var sheet = e.range.getSheet();
  if (sheet.getName() !== 'Phiếu' || e.range.getRow() < 2) return;
  var props = PropertiesService.getScriptProperties();
  var code = sheet.getRange(e.range.getRow(), 1).getValue();
  var body = JSON.stringify({
    spreadsheet_id: e.source.getId(),
    code: String(code || ''),
    column: sheet.getRange(1, e.range.getColumn()).getValue(),
    old_value: e.oldValue === undefined ? null : String(e.oldValue),
    new_value: e.value === undefined ? null : String(e.value),
    user: (e.user && e.user.getEmail()) || null,
    at: new Date().toISOString()
  });
  var ts = Math.floor(Date.now() / 1000).toString();
  var mac = Utilities.computeHmacSha256Signature(ts + '.' + body, props.getProperty('HTS_SECRET'),
                                                 Utilities.Charset.UTF_8);
  var hex = mac.map(function (b) { return ('0' + (b & 0xff).toString(16)).slice(-2); }).join('');
  UrlFetchApp.fetch(props.getProperty('HTS_URL'), {
    method: 'post', contentType: 'application/json', payload: body, muteHttpExceptions: true,
    headers: { 'X-Hts-Timestamp': ts, 'X-Hts-Signature': hex }
  });
}
