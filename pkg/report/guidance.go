package report

import "github.com/abusedesk/abusedesk/pkg/health"

// Guide is this project's own guidance text for a category: what the
// customer should do now, in order. Written by us for our customers; it
// does not quote AWS.
type Guide struct {
	Title   string   `json:"title"`
	Summary string   `json:"summary"`
	Steps   []string `json:"steps"`
}

// Guidance returns the guide for category in lang ("ko" or "en"; anything
// else is "en"). An unknown category gets the "unknown" guide. Every guide
// ends with the step that matters most for the account: answer AWS within
// the response window. Steps is a fresh slice the caller may modify.
func Guidance(category, lang string) Guide {
	lang = Lang(lang)
	g, ok := guides[lang][health.Category(category)]
	if !ok {
		g = guides[lang][health.CategoryUnknown]
	}
	steps := make([]string, 0, len(g.Steps)+1)
	steps = append(steps, g.Steps...)
	steps = append(steps, replyStep[lang])
	g.Steps = steps
	return g
}

// Lang normalises a language code to one we write.
func Lang(lang string) string {
	if lang == "ko" {
		return "ko"
	}
	return "en"
}

var replyStep = map[string]string{
	"en": "Reply to AWS within 24 hours (see \"Respond by\" above) in the AWS Support case or by answering the abuse report e-mail: say what you found, what you have done, and how you will stop it from happening again. If AWS gets no answer, it may restrict the resources or the account.",
	"ko": "24시간 이내(상단의 \"회신 기한\" 참고)에 AWS Support 케이스 또는 침해 신고 메일에 회신해 주십시오. 확인된 원인, 조치한 내용, 재발 방지 대책을 함께 적어 주시면 됩니다. 기한 내에 회신이 없으면 AWS가 해당 리소스나 계정의 사용을 제한할 수 있습니다.",
}

// Instance containment is the same whatever the instance did; shared so
// the wording stays consistent between categories.
const (
	isolateEN  = "Isolate the instance without terminating it: replace its security groups with one that allows no outbound traffic and inbound traffic only from your administrator's IP address."
	isolateKO  = "인스턴스를 종료하지 마시고 격리해 주십시오. 아웃바운드 트래픽은 모두 차단하고 인바운드는 관리자 IP만 허용하는 보안 그룹으로 기존 보안 그룹을 교체하시면 됩니다."
	snapshotEN = "Before changing anything else, create snapshots of the instance's EBS volumes so the evidence is kept for investigation."
	snapshotKO = "다른 변경을 하시기 전에 인스턴스에 연결된 EBS 볼륨의 스냅샷을 생성하여 조사에 필요한 증거를 보존해 주십시오."
	rebuildEN  = "Rebuild from a trusted image rather than cleaning the instance in place, apply current patches, change every password and key that was stored on it, and open only the ports you need."
	rebuildKO  = "감염된 인스턴스를 정리해서 계속 쓰기보다는 신뢰할 수 있는 이미지로 새로 구축하고, 최신 보안 패치를 적용하고, 인스턴스에 저장되어 있던 비밀번호와 키를 모두 교체한 뒤 꼭 필요한 포트만 열어 주십시오."
	ctEN       = "Look up everything the key did in CloudTrail (Event history, filtered by the access key ID) in every region, including regions you do not use: new IAM users, access keys, roles or policies, EC2 instances, Lambda functions, and changes to billing or support settings."
	ctKO       = "CloudTrail 이벤트 기록에서 해당 액세스 키 ID로 필터링하여, 평소 사용하지 않는 리전을 포함한 모든 리전에서 어떤 작업이 있었는지 확인해 주십시오. 새로 만들어진 IAM 사용자, 액세스 키, 역할이나 정책, EC2 인스턴스, Lambda 함수, 결제·지원 설정 변경이 있는지 살펴보시면 됩니다."
	cleanupEN  = "Delete the IAM users, access keys, roles, policies, Lambda functions and instances that you did not create."
	cleanupKO  = "고객님께서 만들지 않은 IAM 사용자, 액세스 키, 역할, 정책, Lambda 함수, 인스턴스는 모두 삭제해 주십시오."
	mfaEN      = "Enable MFA for the root user and for every IAM user who can sign in to the console, and change their passwords."
	quarEN     = "If AWS attached its AWSCompromisedKeyQuarantine policy to the user, detach it only after the steps above are finished; removing it earlier gives an attacker who still holds a key full access again."
	quarKO     = "AWS가 해당 사용자에 AWSCompromisedKeyQuarantine 정책을 연결했다면, 위 조치를 모두 마친 뒤에만 분리해 주십시오. 먼저 분리하시면 키를 가진 공격자가 다시 모든 권한을 얻게 됩니다."
	mfaKO      = "루트 사용자와 콘솔에 로그인하는 모든 IAM 사용자에 MFA를 설정하고 비밀번호를 변경해 주십시오."
)

var guides = map[string]map[health.Category]Guide{
	"en": {
		health.CategoryDoS: {
			Title:   "Denial-of-service traffic from your resources",
			Summary: "AWS received reports that your resources sent traffic that looks like a denial-of-service attack. Most often the instance has been taken over, or a service open to the internet (DNS, NTP, memcached, SSDP) is being used to reflect and amplify attacks.",
			Steps: []string{
				isolateEN,
				snapshotEN,
				"Find the process that sends the traffic (process list, network connections, cron jobs, systemd units, recently changed files, unknown SSH keys) and how it got there. Check whether a UDP service is open to the whole internet.",
				rebuildEN,
			},
		},
		health.CategoryPortScan: {
			Title:   "Port scanning from your resources",
			Summary: "AWS received reports that your resources scanned other hosts on the internet for open ports. Unless you run an authorised scanner against your own systems, this strongly suggests the instance is controlled by someone else.",
			Steps: []string{
				isolateEN,
				snapshotEN,
				"Identify the scanning process and how it was installed: SSH or RDP open to the internet with weak passwords, an unpatched web application, or a leaked key pair.",
				rebuildEN,
				"Allow SSH and RDP only from known addresses, or use Session Manager instead. If the scan was an authorised test, say so in your reply; scanning hosts you do not own is not allowed.",
			},
		},
		health.CategoryIntrusion: {
			Title:   "Intrusion attempts from your resources",
			Summary: "AWS received reports that your resources tried to log in to or exploit other systems, for example by guessing SSH or RDP passwords or by sending web exploits.",
			Steps: []string{
				isolateEN,
				snapshotEN,
				"Check the login and process history, outbound connections and recently added users or keys to find how the attacker got in.",
				rebuildEN,
				"Check the other instances launched from the same image or with the same key pair; they are likely exposed the same way.",
			},
		},
		health.CategoryPhishing: {
			Title:   "Phishing content hosted on your resources",
			Summary: "AWS received reports that a phishing page (a fake login or payment page) is served from your resources. Such pages are usually planted through a vulnerable website or plugin, or with stolen upload credentials.",
			Steps: []string{
				"Take the phishing content down now: delete the files or block the path, or stop the site if you cannot find them quickly. For S3 or CloudFront, remove the objects and invalidate the cache.",
				"Keep a copy of the removed files and the web server access logs for the investigation.",
				"Find how the content got there: check CMS and plugin versions, upload folders, FTP and SSH accounts and recently changed files, and scan the server for web shells and other malware.",
				"Patch or rebuild the site, change all administrator, FTP and database passwords, and check the other sites on the same server.",
			},
		},
		health.CategoryMalware: {
			Title:   "Malware on or spreading from your resources",
			Summary: "AWS received reports that your resources host or distribute malware, or talk to a malware command-and-control server.",
			Steps: []string{
				isolateEN,
				snapshotEN,
				"Remove the malicious files from public access, scan the instance and any S3 buckets it writes to with up-to-date anti-malware, and look for persistence (cron jobs, services, startup scripts, SSH keys).",
				rebuildEN,
			},
		},
		health.CategoryOpenProxy: {
			Title:   "Open proxy or relay on your resources",
			Summary: "AWS received reports that your resources run a proxy, VPN or mail relay that anyone on the internet can use. Open proxies hide the real origin of spam, fraud and attacks, which are then reported against your address.",
			Steps: []string{
				"Close the proxy now: stop the service, or restrict its port in the security group to the addresses that really need it.",
				"Check whether it was installed on purpose (Squid, TinyProxy, a SOCKS or Shadowsocks server, an SMTP relay). If nobody knows why it is there, treat the instance as compromised: snapshot it, investigate and rebuild it.",
				"If the proxy is needed, require authentication, allow only known clients, and review its logs to see how long it was open and who used it.",
			},
		},
		health.CategorySpam: {
			Title:   "Spam sent from your account",
			Summary: "AWS received complaints that e-mail sent from your account is unsolicited. It can come from Amazon SES, from a mail server on EC2, or from a compromised instance, mail account or SMTP credential.",
			Steps: []string{
				"Stop the sending now: for an instance, stop the mail server (MTA) or block outbound ports 25, 465 and 587 in its security group; for Amazon SES, pause sending for the affected identity or configuration set.",
				"Check whether the mail server is an open relay or a mailbox or SMTP credential has been compromised, and read the mail queue and logs to see who sent what.",
				"In Amazon SES, review the bounce and complaint rates on the reputation dashboard and the SMTP credentials in use; delete credentials you do not recognise and rotate the others.",
				"Send only to recipients who asked for your mail, honour unsubscribe requests promptly, and remove addresses that bounce or complain.",
			},
		},
		health.CategoryCopyright: {
			Title:   "Copyright or trademark complaint",
			Summary: "AWS received a complaint, such as a DMCA notice, that content on your resources infringes someone else's copyright or trademark.",
			Steps: []string{
				"Find the content named in the complaint (URL or file) and remove it or disable access to it.",
				"If you believe you have the right to use it, do not delete it; prepare an explanation or counter-notice with supporting evidence instead. We can help with the wording.",
				"Check for copies elsewhere (other buckets, CloudFront caches, backups) and, if users can upload content, make sure the same files cannot simply be uploaded again.",
			},
		},
		health.CategoryContent: {
			Title:   "Report about content on your resources",
			Summary: "AWS received a report about content on your resources, for example personal data exposed without protection or content that breaks the AWS Acceptable Use Policy.",
			Steps: []string{
				"Find the reported content and remove it or restrict access to it; for S3, turn on Block Public Access for the bucket.",
				"If personal data was exposed, check the access logs for who downloaded it and assess whether you must notify the people affected or the authorities.",
				"Find how the content became public (a bucket policy, a public ACL, an upload feature) and fix the cause.",
			},
		},
		health.CategoryCredExposed: {
			Title:   "Access key exposed publicly",
			Summary: "An access key from your account was found in a public place, such as a public code repository. Anyone who saw it can use your account, so treat the key as compromised even if you see no misuse yet.",
			Steps: []string{
				"Deactivate the exposed access key now. Give the workloads that need one a new key (better: an IAM role), then delete the old key.",
				ctEN,
				cleanupEN,
				"Remove the key from the code or file where it was published, including the repository history.",
				quarEN,
				mfaEN,
			},
		},
		health.CategoryCredCompromis: {
			Title:   "Compromised credentials in your account",
			Summary: "AWS detected activity showing that an access key or user in your account is being used by someone else. Attackers typically launch instances for crypto-mining, create users or keys to keep access, or send spam.",
			Steps: []string{
				"Deactivate the affected access keys now and change the passwords of the affected users. Give the workloads that need one a new key (better: an IAM role), then delete the old keys.",
				ctEN,
				cleanupEN,
				quarEN,
				mfaEN,
				"Check the bill (Billing console, Cost Explorer) for unexpected charges and mention them in your reply to AWS.",
			},
		},
		health.CategoryQuarantine: {
			Title:   "AWS quarantined an access key",
			Summary: "AWS attached its quarantine policy (AWSCompromisedKeyQuarantine, with a version suffix such as V2 or V3) to an IAM user because the user's access key was exposed or misused. The policy blocks some actions but does not make the key safe.",
			Steps: []string{
				"Deactivate and then delete the affected key; create a new one only where it is really needed, and prefer an IAM role.",
				ctEN,
				cleanupEN,
				"Only after the steps above are finished, detach the AWSCompromisedKeyQuarantine policy from the user. Removing it earlier gives an attacker who still holds a key full access again.",
				mfaEN,
			},
		},
		health.CategoryOutboundList: {
			Title:   "Outbound abuse reported from your resources",
			Summary: "A list of resources in your account that were reported for abusing others (for example sending attacks, spam or scans) reached us, without a category. The report shows which resources are in your account and what they are; the steps below are the general response.",
			Steps: []string{
				"Check each resource the report shows as in your account: what runs on it, who owns it, and whether the reported traffic could be yours. Addresses listed as not in your account may belong to someone else or have been released; say so in your reply.",
				"Contain any resource that may be compromised (an isolating security group for an instance, deactivation for a key) and keep evidence (snapshots, logs) before changing it.",
				"Find the cause (a compromised host, an open service abused by others, a misbehaving application), fix it, and rebuild anything you can no longer trust.",
			},
		},
		health.CategoryUnknown: {
			Title:   "Abuse or risk notice about your account",
			Summary: "AWS sent a notice about your account that does not match one of our standard categories. Please read the original notice; the steps below are the general response.",
			Steps: []string{
				"Read the AWS notice and identify the resources it names (instance IDs, IP addresses, access keys).",
				"If a resource may be compromised, contain it (an isolating security group for an instance, deactivation for a key) and keep evidence (snapshots, logs) before changing it.",
				"Find the cause, fix it, and rebuild anything you can no longer trust. Contact us if anything is unclear; we will help you investigate.",
			},
		},
	},
	"ko": {
		health.CategoryDoS: {
			Title:   "고객님 리소스에서 발생한 서비스 거부(DoS) 트래픽",
			Summary: "고객님의 리소스에서 서비스 거부(DoS) 공격으로 보이는 트래픽이 발생했다는 신고가 AWS에 접수되었습니다. 대부분 인스턴스가 외부 공격자에게 장악되었거나, 인터넷에 열려 있는 DNS·NTP·memcached·SSDP 서비스가 반사(증폭) 공격에 악용된 경우입니다.",
			Steps: []string{
				isolateKO,
				snapshotKO,
				"실행 중인 프로세스, 네트워크 연결, cron 작업, systemd 서비스, 최근 변경된 파일, 등록하지 않은 SSH 키를 점검하여 트래픽을 발생시키는 프로세스와 유입 경로를 찾아 주십시오. UDP 서비스가 인터넷 전체에 열려 있지 않은지도 확인해 주십시오.",
				rebuildKO,
			},
		},
		health.CategoryPortScan: {
			Title:   "고객님 리소스에서 발생한 포트 스캔",
			Summary: "고객님의 리소스가 인터넷상의 다른 호스트를 대상으로 포트 스캔을 했다는 신고가 AWS에 접수되었습니다. 고객님 소유 시스템에 대해 승인된 점검을 하신 것이 아니라면, 인스턴스가 제3자에게 장악되었을 가능성이 매우 높습니다.",
			Steps: []string{
				isolateKO,
				snapshotKO,
				"스캔을 수행하는 프로세스와 설치 경로를 확인해 주십시오. 약한 비밀번호로 인터넷에 열려 있는 SSH·RDP, 패치되지 않은 웹 애플리케이션, 유출된 키 페어가 흔한 원인입니다.",
				rebuildKO,
				"SSH와 RDP는 지정된 IP에서만 접속하도록 제한하시거나 Session Manager를 이용해 주십시오. 승인된 점검이었다면 회신에 그 내용을 적어 주시고, 고객님 소유가 아닌 호스트에 대한 스캔은 허용되지 않는다는 점도 참고해 주십시오.",
			},
		},
		health.CategoryIntrusion: {
			Title:   "고객님 리소스에서 발생한 침입 시도",
			Summary: "고객님의 리소스가 SSH·RDP 비밀번호 대입이나 웹 취약점 공격 등으로 다른 시스템에 침입을 시도했다는 신고가 AWS에 접수되었습니다.",
			Steps: []string{
				isolateKO,
				snapshotKO,
				"로그인 기록과 프로세스 실행 기록, 외부로 나가는 연결, 최근 추가된 사용자와 키를 확인하여 공격자가 어떻게 들어왔는지 파악해 주십시오.",
				rebuildKO,
				"같은 이미지나 같은 키 페어로 생성한 다른 인스턴스도 같은 방식으로 노출되어 있을 가능성이 높으니 함께 점검해 주십시오.",
			},
		},
		health.CategoryPhishing: {
			Title:   "고객님 리소스에 게시된 피싱 콘텐츠",
			Summary: "고객님의 리소스에서 피싱 페이지(가짜 로그인·결제 페이지)가 제공되고 있다는 신고가 AWS에 접수되었습니다. 이런 페이지는 대개 취약한 웹사이트나 플러그인, 또는 탈취된 업로드 계정을 통해 올라갑니다.",
			Steps: []string{
				"피싱 콘텐츠를 즉시 내려 주십시오. 파일을 삭제하거나 해당 경로를 차단하시고, 빨리 찾기 어려우면 사이트를 일시 중지해 주십시오. S3나 CloudFront라면 객체를 삭제하고 캐시를 무효화해 주십시오.",
				"조사를 위해 삭제한 파일의 사본과 웹 서버 접근 로그를 보관해 주십시오.",
				"CMS와 플러그인 버전, 업로드 폴더, FTP·SSH 계정, 최근 변경된 파일을 점검하여 유입 경로를 찾아 주시고, 웹셸 등 다른 악성 파일이 없는지 서버를 검사해 주십시오.",
				"사이트를 패치하거나 새로 구축하고 관리자·FTP·데이터베이스 비밀번호를 모두 변경해 주십시오. 같은 서버의 다른 사이트도 함께 점검해 주십시오.",
			},
		},
		health.CategoryMalware: {
			Title:   "고객님 리소스의 악성코드 호스팅·유포",
			Summary: "고객님의 리소스가 악성코드를 호스팅하거나 유포하고 있거나, 악성코드 명령 제어(C2) 서버와 통신하고 있다는 신고가 AWS에 접수되었습니다.",
			Steps: []string{
				isolateKO,
				snapshotKO,
				"악성 파일이 외부에 제공되지 않도록 차단하고, 최신 백신으로 인스턴스와 인스턴스가 쓰는 S3 버킷을 검사해 주십시오. cron 작업, 서비스, 시작 스크립트, SSH 키 등 지속성 확보 흔적도 확인해 주십시오.",
				rebuildKO,
			},
		},
		health.CategoryOpenProxy: {
			Title:   "고객님 리소스에서 운영 중인 오픈 프록시·릴레이",
			Summary: "고객님의 리소스에서 인터넷상의 누구나 쓸 수 있는 프록시, VPN 또는 메일 릴레이가 운영되고 있다는 신고가 AWS에 접수되었습니다. 오픈 프록시는 스팸, 사기, 공격의 실제 출처를 숨기는 데 악용되며, 그 결과 고객님의 IP로 신고가 들어오게 됩니다.",
			Steps: []string{
				"프록시를 즉시 닫아 주십시오. 서비스를 중지하시거나, 보안 그룹에서 해당 포트를 꼭 필요한 IP만 접속하도록 제한해 주십시오.",
				"의도적으로 설치한 것인지(Squid, TinyProxy, SOCKS·Shadowsocks 서버, SMTP 릴레이 등) 확인해 주십시오. 아무도 설치 이유를 모른다면 침해된 인스턴스로 보고 스냅샷 생성, 조사, 재구축을 진행해 주십시오.",
				"프록시가 꼭 필요하다면 인증을 적용하고 허용된 클라이언트만 접속하도록 하시고, 로그를 확인하여 얼마 동안 열려 있었고 누가 사용했는지 파악해 주십시오.",
			},
		},
		health.CategorySpam: {
			Title:   "고객님 계정에서 발송된 스팸",
			Summary: "고객님의 계정에서 발송된 메일이 스팸이라는 신고가 AWS에 접수되었습니다. Amazon SES, EC2의 메일 서버, 또는 침해된 인스턴스·메일 계정·SMTP 자격 증명에서 발송되었을 수 있습니다.",
			Steps: []string{
				"발송을 즉시 중단해 주십시오. 인스턴스라면 메일 서버(MTA)를 중지하거나 보안 그룹에서 아웃바운드 25·465·587 포트를 차단하시고, Amazon SES라면 해당 자격 증명(Identity)이나 구성 세트의 발송을 일시 중지해 주십시오.",
				"메일 서버가 오픈 릴레이로 설정되어 있지 않은지, 메일 계정이나 SMTP 자격 증명이 탈취되지 않았는지 확인하시고, 메일 큐와 로그에서 누가 무엇을 보냈는지 확인해 주십시오.",
				"Amazon SES 평판 대시보드에서 반송률과 수신 거부(불만) 비율을 확인하고, 사용 중인 SMTP 자격 증명을 점검하여 모르는 것은 삭제하고 나머지는 교체해 주십시오.",
				"수신에 동의한 분에게만 발송하시고, 수신 거부 요청은 바로 반영하시며, 반송되거나 불만을 제기한 주소는 발송 목록에서 제외해 주십시오.",
			},
		},
		health.CategoryCopyright: {
			Title:   "저작권·상표권 침해 신고",
			Summary: "고객님의 리소스에 있는 콘텐츠가 다른 사람의 저작권이나 상표권을 침해한다는 신고(DMCA 통지 등)가 AWS에 접수되었습니다.",
			Steps: []string{
				"신고에 명시된 콘텐츠(URL 또는 파일)를 찾아 삭제하거나 접근을 차단해 주십시오.",
				"정당한 사용 권한이 있다고 판단하시면 삭제하지 마시고, 근거 자료와 함께 소명 내용이나 이의 제기 통지를 준비해 주십시오. 문안 작성은 저희가 도와드리겠습니다.",
				"다른 버킷, CloudFront 캐시, 백업 등에 사본이 남아 있지 않은지 확인하시고, 사용자 업로드 기능이 있다면 같은 파일이 다시 올라오지 않도록 조치해 주십시오.",
			},
		},
		health.CategoryContent: {
			Title:   "고객님 리소스의 콘텐츠 관련 신고",
			Summary: "보호 조치 없이 노출된 개인정보나 AWS 이용 정책(Acceptable Use Policy)에 위배되는 콘텐츠 등, 고객님 리소스의 콘텐츠에 대한 신고가 AWS에 접수되었습니다.",
			Steps: []string{
				"신고된 콘텐츠를 찾아 삭제하거나 접근을 제한해 주십시오. S3라면 해당 버킷에 퍼블릭 액세스 차단을 설정해 주십시오.",
				"개인정보가 노출되었다면 접근 로그로 누가 내려받았는지 확인하시고, 개인정보 보호법에 따른 정보주체 통지나 신고 의무가 있는지 검토해 주십시오.",
				"버킷 정책, 퍼블릭 ACL, 업로드 기능 등 콘텐츠가 공개된 원인을 찾아 바로잡아 주십시오.",
			},
		},
		health.CategoryCredExposed: {
			Title:   "공개된 곳에 노출된 액세스 키",
			Summary: "고객님 계정의 액세스 키가 공개 코드 저장소 등 누구나 볼 수 있는 곳에서 발견되었습니다. 키를 본 사람은 누구나 고객님 계정을 사용할 수 있으므로, 아직 악용 흔적이 없더라도 유출된 키로 간주하고 조치해 주셔야 합니다.",
			Steps: []string{
				"노출된 액세스 키를 즉시 비활성화해 주십시오. 키가 필요한 워크로드에는 새 키(가능하면 IAM 역할)를 적용하신 뒤 기존 키를 삭제해 주십시오.",
				ctKO,
				cleanupKO,
				"키가 게시된 코드나 파일에서 키를 삭제해 주시고, 저장소 이력(history)에서도 지워 주십시오.",
				quarKO,
				mfaKO,
			},
		},
		health.CategoryCredCompromis: {
			Title:   "고객님 계정의 자격 증명 도용",
			Summary: "고객님 계정의 액세스 키 또는 사용자가 제3자에 의해 사용되고 있음을 보여 주는 활동이 AWS에 탐지되었습니다. 공격자는 주로 암호화폐 채굴용 인스턴스를 생성하거나, 접근을 유지하기 위해 사용자·키를 만들거나, 스팸을 발송합니다.",
			Steps: []string{
				"해당 액세스 키를 즉시 비활성화하고 관련 사용자의 비밀번호를 변경해 주십시오. 키가 필요한 워크로드에는 새 키(가능하면 IAM 역할)를 적용하신 뒤 기존 키를 삭제해 주십시오.",
				ctKO,
				cleanupKO,
				quarKO,
				mfaKO,
				"결제 콘솔과 Cost Explorer에서 예상치 못한 요금이 발생했는지 확인하시고, 있다면 AWS 회신에 함께 적어 주십시오.",
			},
		},
		health.CategoryQuarantine: {
			Title:   "AWS가 격리 조치한 액세스 키",
			Summary: "액세스 키가 노출되었거나 악용되어 AWS가 해당 IAM 사용자에 격리 정책(AWSCompromisedKeyQuarantine, V2·V3 등 버전이 붙음)을 연결했습니다. 이 정책은 일부 작업만 막을 뿐, 키를 안전하게 만들어 주지는 않습니다.",
			Steps: []string{
				"해당 키를 비활성화한 뒤 삭제해 주십시오. 새 키는 꼭 필요한 곳에만 발급하시고, 가능하면 IAM 역할을 사용해 주십시오.",
				ctKO,
				cleanupKO,
				"위 조치를 모두 마친 뒤에만 사용자에게서 AWSCompromisedKeyQuarantine 정책을 분리해 주십시오. 먼저 분리하시면 키를 가진 공격자가 다시 모든 권한을 얻게 됩니다.",
				mfaKO,
			},
		},
		health.CategoryOutboundList: {
			Title:   "고객님 리소스에서 발생한 외부 공격 신고",
			Summary: "고객님 계정의 리소스가 외부에 공격(공격 트래픽, 스팸, 스캔 등)을 했다고 신고된 리소스 목록이 유형 지정 없이 접수되었습니다. 보고서에 고객님 계정에 있는 리소스와 그 정체를 정리했으며, 아래는 일반적인 대응 절차입니다.",
			Steps: []string{
				"보고서에서 고객님 계정에 있는 것으로 표시된 리소스마다 무엇이 실행 중인지, 담당자가 누구인지, 신고된 트래픽이 고객님의 정상 트래픽일 수 있는지 확인해 주십시오. 계정에 없는 것으로 표시된 주소는 다른 소유자의 것이거나 이미 반납된 주소일 수 있으니 회신에 함께 적어 주십시오.",
				"침해가 의심되는 리소스는 먼저 격리(인스턴스는 격리용 보안 그룹 적용, 키는 비활성화)하시고, 변경하기 전에 스냅샷과 로그 등 증거를 보존해 주십시오.",
				"원인(장악된 호스트, 외부에 악용된 열린 서비스, 오작동하는 애플리케이션)을 찾아 조치하시고 더 이상 신뢰할 수 없는 리소스는 새로 구축해 주십시오.",
			},
		},
		health.CategoryUnknown: {
			Title:   "고객님 계정에 대한 침해·위험 알림",
			Summary: "AWS에서 고객님 계정에 대한 알림을 보냈으나, 저희가 분류하는 표준 유형에 해당하지 않습니다. AWS 원문 알림을 꼭 확인해 주시고, 아래의 일반적인 대응 절차를 따라 주십시오.",
			Steps: []string{
				"AWS 알림을 읽고 알림에 언급된 리소스(인스턴스 ID, IP 주소, 액세스 키)를 확인해 주십시오.",
				"침해가 의심되는 리소스는 먼저 격리(인스턴스는 격리용 보안 그룹 적용, 키는 비활성화)하시고, 변경하기 전에 스냅샷과 로그 등 증거를 보존해 주십시오.",
				"원인을 찾아 조치하시고 더 이상 신뢰할 수 없는 리소스는 새로 구축해 주십시오. 확인이 어려운 부분은 저희에게 연락 주시면 조사를 도와드리겠습니다.",
			},
		},
	},
}
