package faultproxy

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// expiredMessage is AWS's message for expired session credentials.
const expiredMessage = "The security token included in the request is expired"

// accessKeyID reads the access key id of a SigV4 Authorization header such
// as "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/lambda/aws4_request, ...".
func accessKeyID(auth string) string {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ := strings.Cut(rest, ",")
	id, _, _ := strings.Cut(strings.TrimSpace(cred), "/")
	return id
}

// expired answers a request signed with a key past its deadline as AWS
// answers expired session credentials: 403 ExpiredTokenException "The
// security token included in the request is expired", a common error of
// every service, query protocol ones (STS, IAM, CloudWatch's query
// protocol) included. (It answered ExpiredToken there, which no Common
// Errors page documents; AWS's API model judge found it.)
// https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
// https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
// https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html
func (rl *realism) expired(r *http.Request, now time.Time) *realAnswer {
	id := accessKeyID(r.Header.Get("Authorization"))
	if id == "" {
		return nil
	}
	at, ok := rl.keys[id]
	if !ok || now.Before(at) {
		return nil
	}
	rl.stats.Expired++
	return &realAnswer{name: "ExpiredToken", err: apiError{
		status: http.StatusForbidden, code: "ExpiredTokenException", queryCode: "ExpiredTokenException", message: expiredMessage,
	}}
}

// checkWebIdentity refuses an AssumeRoleWithWebIdentity whose token STS
// would not accept for an IAM OIDC provider with the audience wanted: 400
// InvalidIdentityToken for a token that cannot be read or names another
// audience, 400 ExpiredTokenException for one past its exp.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html#API_AssumeRoleWithWebIdentity_Errors
func (rl *realism) checkWebIdentity(body []byte, now time.Time) *realAnswer {
	form, _ := url.ParseQuery(string(body))
	claims, ok := jwtClaims(form.Get("WebIdentityToken"))
	switch {
	case !ok || !claims.hasAudience(rl.cfg.WebIdentityAudience):
		rl.stats.WebIdentityRejected++
		return &realAnswer{name: "InvalidIdentityToken", err: apiError{
			status: http.StatusBadRequest, code: "InvalidIdentityToken", queryCode: "InvalidIdentityToken",
			message: "Incorrect token audience",
		}}
	case claims.Exp != 0 && !now.Before(time.Unix(claims.Exp, 0)):
		rl.stats.WebIdentityRejected++
		return &realAnswer{name: "ExpiredWebIdentityToken", err: apiError{
			status: http.StatusBadRequest, code: "ExpiredTokenException", queryCode: "ExpiredTokenException",
			message: "Token expired: current date/time " + now.UTC().Format(time.RFC3339) + " must be before the expiration date/time " + time.Unix(claims.Exp, 0).UTC().Format(time.RFC3339),
		}}
	}
	return nil
}

// claims are the JWT claims the proxy checks.
type claims struct {
	Aud json.RawMessage `json:"aud"` // a string or an array of them
	Exp int64           `json:"exp"`
}

func (c claims) hasAudience(want string) bool {
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(c.Aud, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}

// jwtClaims decodes the payload of a compact JWT without checking its
// signature, which moto does not check either.
func jwtClaims(token string) (claims, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return claims{}, false
	}
	var c claims
	if json.Unmarshal(payload, &c) != nil {
		return claims{}, false
	}
	return c, true
}

var expirationElement = regexp.MustCompile(`<Expiration>[^<]*</Expiration>`)

// stsAfter rewrites the Expiration of credentials STS issued to SessionTTL
// from now and enforces it on their access key. The credentials of
// AssumeRoleWithWebIdentity and AssumeRole carry the time they expire in
// Credentials.Expiration; after it, AWS refuses requests signed with them.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
// https://docs.aws.amazon.com/STS/latest/APIReference/API_Credentials.html
func (rl *realism) stsAfter(op Op, reqBody, respBody []byte, now time.Time) ([]byte, string) {
	if op.Name != "AssumeRoleWithWebIdentity" && op.Name != "AssumeRole" {
		return respBody, ""
	}
	var out struct {
		AccessKeyID string `xml:"AssumeRoleWithWebIdentityResult>Credentials>AccessKeyId"`
		RoleKeyID   string `xml:"AssumeRoleResult>Credentials>AccessKeyId"`
	}
	if xml.Unmarshal(respBody, &out) != nil {
		return respBody, ""
	}
	id := out.AccessKeyID + out.RoleKeyID
	if id == "" {
		return respBody, ""
	}
	form, _ := url.ParseQuery(string(reqBody))
	issued := Issued{AccessKeyID: id, Op: op.Name, RoleARN: form.Get("RoleArn")}
	name := ""
	if ttl := rl.cfg.SessionTTL; ttl > 0 {
		issued.Expires = now.Add(ttl).UTC().Truncate(time.Millisecond)
		rl.keys[id] = issued.Expires
		respBody = expirationElement.ReplaceAll(respBody, []byte("<Expiration>"+issued.Expires.Format("2006-01-02T15:04:05.000Z")+"</Expiration>"))
		name = "Expiration"
	}
	rl.stats.Issued = append(rl.stats.Issued, issued)
	return respBody, name
}
