package report

import (
	"strings"

	"github.com/abusedesk/abusedesk/pkg/finding"
)

// koTitles are the Korean titles of the findings abusedesk makes, by
// finding ID, so a Korean report and e-mail are not a list of English
// headings. The reasons stay in English: they quote resources and figures
// verbatim. TestKoreanTitlesCoverEveryFinding keeps the list complete.
var koTitles = map[string]string{
	// enrich rules
	"ec2.sg-open-admin-port":  "원격 관리 포트(SSH/RDP)가 인터넷에 열려 있음",
	"ec2.sg-open-other":       "인터넷 전체에 열린 인바운드 규칙",
	"ec2.instance-running":    "신고된 인스턴스가 아직 실행 중",
	"ec2.ip-not-in-account":   "신고된 주소가 계정에서 확인되지 않음",
	"iam.key-active":          "노출된 액세스 키가 아직 활성 상태",
	"iam.key-old":             "90일이 넘은 활성 액세스 키",
	"iam.user-no-mfa":         "MFA가 없는 IAM 사용자",
	"iam.admin-policy":        "관리자 권한을 가진 사용자",
	"iam.quarantine-attached": "AWS가 격리 정책을 연결함",
	"iam.recent-user":         "최근 생성된 IAM 사용자",
	"iam.recent-key":          "최근 생성된 액세스 키",
	"lambda.url-auth-none":    "인증 없는 Lambda 함수 URL",
	"lambda.public-policy":    "누구나 호출할 수 있는 Lambda 함수",
	"lambda.role-writes-iam":  "IAM을 변경할 수 있는 Lambda 함수",
	"apigw.iam-backdoor":      "IAM 자격 증명을 만드는 API Gateway 엔드포인트",
	"enrich.gap":              "조회를 완료하지 못함",
	"enrich.cannot-inspect":   "영향받은 계정을 점검할 수 없음",
	// SES reputation
	"ses.bounce-rate-warning":            "SES 반송률 주의 수준",
	"ses.bounce-rate-review":             "SES 반송률이 검토 대상 수준",
	"ses.bounce-rate-pause":              "SES 반송률이 발송 중지 가능 수준",
	"ses.complaint-rate-review":          "SES 수신 거부율이 검토 대상 수준",
	"ses.complaint-rate-pause":           "SES 수신 거부율이 발송 중지 가능 수준",
	"ses.enforced-bounce-rate-review":    "AWS 적용 반송률이 검토 대상 수준",
	"ses.enforced-bounce-rate-pause":     "AWS 적용 반송률이 발송 중지 가능 수준",
	"ses.enforced-complaint-rate-review": "AWS 적용 수신 거부율이 검토 대상 수준",
	"ses.enforced-complaint-rate-pause":  "AWS 적용 수신 거부율이 발송 중지 가능 수준",
	"ses.enforcement-probation":          "SES 계정이 검토(PROBATION) 상태",
	"ses.enforcement-shutdown":           "SES 발송이 중지(SHUTDOWN)됨",
	"ses.low-volume":                     "SES 발송량이 적어 판단 신뢰도가 낮음",
	// CloudTrail indicators and sequences
	"access-denied-burst":                    "AccessDenied 오류가 잇달아 발생",
	"apigateway-api-created":                 "API Gateway API 생성",
	"bedrock-model-access-enabled":           "Bedrock 모델 접근 활성화",
	"cloudtrail-tampered":                    "CloudTrail 로깅 중지 또는 축소",
	"ec2-admin-port-open-to-world":           "SSH 또는 RDP를 인터넷에 개방",
	"ec2-ami-shared":                         "AMI 공유",
	"ec2-launch-in-unused-region":            "사용하지 않던 리전에서 인스턴스 시작",
	"ec2-password-data-read":                 "Windows 암호 데이터 조회",
	"ec2-run-instances":                      "인스턴스 시작",
	"ec2-snapshot-shared":                    "EBS 스냅샷 공유",
	"ec2-ssh-key-pushed":                     "인스턴스에 SSH 키 전송",
	"ec2-unusual-instance":                   "GPU 등 이례적인 인스턴스 시작",
	"ec2-user-data-modified":                 "인스턴스 사용자 데이터 변경",
	"ec2-user-data-read":                     "인스턴스 사용자 데이터 대량 조회",
	"ec2-vcpu-quota-recon":                   "여러 리전의 EC2 vCPU 한도 조회",
	"iam-access-key-created":                 "액세스 키 생성",
	"iam-access-key-for-other-user":          "다른 사용자의 액세스 키 생성",
	"iam-admin-policy-attached":              "관리자 권한 부여",
	"iam-console-login-without-mfa":          "MFA 없이 IAM 사용자 콘솔 로그인",
	"iam-login-profile-for-other-user":       "다른 사용자의 콘솔 암호 설정",
	"iam-mfa-enrolled-temporary-credentials": "임시 자격 증명으로 MFA 장치 등록",
	"iam-mfa-removed":                        "MFA 장치 비활성화 또는 삭제",
	"iam-quarantine-policy-attached":         "AWS가 유출된 액세스 키를 격리함",
	"iam-trust-policy-external":              "외부 계정을 신뢰하는 역할",
	"iam-user-created":                       "IAM 사용자 생성",
	"iam-write-by-lambda-role":               "Lambda 함수가 IAM을 변경",
	"lambda-apigateway-permission":           "API Gateway에 Lambda 함수 호출 권한 부여",
	"lambda-code-replaced":                   "Lambda 함수 코드 교체",
	"lambda-function-created":                "Lambda 함수 생성",
	"lambda-layer-added":                     "Lambda 레이어 또는 확장 추가",
	"lambda-public":                          "Lambda 함수 공개",
	"organizations-leave":                    "계정이 조직 탈퇴를 시도",
	"rds-snapshot-shared":                    "RDS 스냅샷 공유",
	"recon-first-call-get-caller-identity":   "키의 첫 호출로 신원 확인(GetCallerIdentity)",
	"rolesanywhere-trust-anchor":             "IAM Roles Anywhere 신뢰 앵커 생성",
	"root-access-key-created":                "루트 사용자가 액세스 키 생성",
	"root-console-login":                     "루트 사용자 콘솔 로그인",
	"root-failed-logins":                     "루트 로그인 실패 반복",
	"root-password-recovery":                 "루트 암호 복구 또는 변경",
	"root-write-action":                      "루트 사용자의 변경 작업",
	"s3-bucket-policy-exposed":               "버킷 정책이 전체 또는 다른 계정에 개방됨",
	"secrets-read-burst":                     "다수의 시크릿 조회",
	"security-logging-disabled":              "보안 모니터링 비활성화",
	"seq-apigateway-lambda-backdoor":         "API Gateway → Lambda 백도어",
	"seq-create-user-then-admin":             "새 사용자에게 관리자 권한 부여",
	"seq-new-key-used-from-new-ip":           "새 액세스 키를 다른 IP에서 사용",
	"ses-recon":                              "SES 발송 한도 탐색",
	"ses-spam-setup":                         "SES 발송 준비(발신자 인증 등)",
	"ssm-command-or-session":                 "SSM으로 인스턴스에서 명령 또는 셸 실행",
	"sts-federation-token":                   "페더레이션 토큰 요청",
}

// FindingTitle is a finding's title in lang. The notice finding is named
// after its category's guide; a finding without a translation keeps its
// English title.
func FindingTitle(f finding.Finding, lang string) string {
	if Lang(lang) != "ko" {
		return f.Title
	}
	if cat, ok := strings.CutPrefix(f.ID, "notice."); ok {
		return "AWS 신고: " + Guidance(cat, "ko").Title
	}
	if t, ok := koTitles[f.ID]; ok {
		return t
	}
	return f.Title
}
