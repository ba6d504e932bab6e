/**
 * Hộp thư số — gửi mỗi câu trả lời Google Form về máy chủ của phường.
 * Cài đặt: xem README, mục "Nhận ý kiến qua Google Form". Cần đặt 2 thuộc tính tập lệnh (Project Settings > Script properties):
 *   HTS_URL     = https://<tên-miền-của-phường>/webhooks/forms
 *   HTS_SECRET  = giá trị FORMS_SHARED_SECRET trong .env của máy chủ
 * Trigger: From form > On form submit > onFormSubmit
 */
function onFormSubmit(e) {
  var props = PropertiesService.getScriptProperties();
  var url = props.getProperty('HTS_URL');
  var secret = props.getProperty('HTS_SECRET');
  var response = e.response;
  var answers = {};
  response.getItemResponses().forEach(function (item) {
    answers[item.getItem().getTitle()] = item.getResponse();
  });
  var body = JSON.stringify({
    response_id: response.getId(),
    timestamp: response.getTimestamp().toISOString(),
    answers: answers,
    email: response.getRespondentEmail() || null
  });
  // The server stores the answer at once and makes the ticket a moment later: posting the same
  // answer again is harmless (one ticket per response) and brings back its code once it exists.
  var code = null;
  for (var attempt = 1; attempt <= 5 && !code; attempt++) {
    var ts = Math.floor(Date.now() / 1000).toString();   // signed fresh on every try
    var mac = Utilities.computeHmacSha256Signature(ts + '.' + body, secret, Utilities.Charset.UTF_8);
    var hex = mac.map(function (b) { return ('0' + (b & 0xff).toString(16)).slice(-2); }).join('');
    var res = UrlFetchApp.fetch(url, {
      method: 'post', contentType: 'application/json', payload: body, muteHttpExceptions: true,
      headers: { 'X-Hts-Timestamp': ts, 'X-Hts-Signature': hex }
    });
    if (res.getResponseCode() === 200) {
      code = JSON.parse(res.getContentText()).code;
      if (!code) Utilities.sleep(2000 * attempt);
    } else if (res.getResponseCode() < 500) {
      console.error('Hộp thư số từ chối: ' + res.getResponseCode() + ' ' + res.getContentText());
      return;
    } else {
      Utilities.sleep(2000 * attempt);
    }
  }
  var email = response.getRespondentEmail();
  if (code && email) {
    MailApp.sendEmail(email, 'Phường đã tiếp nhận ý kiến của bạn — mã ' + code,
      'Phường đã tiếp nhận phản ánh/kiến nghị của bạn, mã ' + code + '.\n' +
      'Cán bộ sẽ xem xét và trả lời. Bạn có thể nhắn "tra cứu ' + code + '" tới Zalo OA của phường ' +
      'nếu bạn đã gửi bằng Zalo, hoặc liên hệ trụ sở Mặt trận phường.');
  }
}
