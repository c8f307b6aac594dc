package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// signIn logs an account in by SMS to group through the pages.
func (b *browser) signIn(loginID, line, group string) {
	b.T.Helper()
	b.toKeyPage(loginID, demoPassword)
	_, key := b.issueKey(line)
	b.Post("/login/key/verify", url.Values{"key": {key}, "group_id": {group}}).WantRedirect(b.T, "/console?welcome=1")
}

// awaitMail polls the outbox for a message to `to` not in seen whose
// subject or body holds text.
func (b *browser) awaitMail(to string, seen map[string]bool, text string) outboxMessage {
	b.T.Helper()
	deadline := time.After(60 * time.Second) // a failsafe, not a measurement
	for {
		for _, m := range b.outbox() {
			if m.To == to && !seen[m.ID] && strings.Contains(m.Body, text) {
				return m
			}
		}
		select {
		case <-deadline:
			b.T.Fatalf("no notification to %s holding %q arrived", to, text)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestRunServeConsolePages(t *testing.T) {
	srv := startServe(t, testEnv(t), "serve", "--demo")
	rep := newBrowser(t, srv.URL)
	rep.signIn("demo-rep", "+819012345678", "anshin-shoji")

	t.Run("security headers", func(t *testing.T) {
		resp, err := rep.Client.Get(srv.URL + "/console/admins")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP %q", csp)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", resp.Header)
		}
	})

	t.Run("CLOMO 情報設定", func(t *testing.T) {
		rep.Get("/console/clomo").Want(t, http.StatusOK, "CLOMO 情報設定", "組織名", "タイムゾーン", "Asia/Tokyo", "CLOMO 環境を作成")
		p := rep.Post("/console/clomo", url.Values{"organization_name": {" "}, "time_zone": {"Asia/Tokyo"}})
		p.Want(t, http.StatusUnprocessableEntity, "組織名を入力してください")
		p.WantFieldError(t, "organization_name")
		p = rep.Post("/console/clomo", url.Values{"organization_name": {"あんしん商事株式会社"}, "contact_email": {"bad@"}, "time_zone": {"Asia/Tokyo"}})
		p.Want(t, http.StatusUnprocessableEntity, "あんしん商事株式会社")
		p.WantFieldError(t, "contact_email")
		seen := messageIDs(rep.outbox())
		rep.Post("/console/clomo", url.Values{"organization_name": {"あんしん商事株式会社"}, "contact_name": {"山田 太郎"}, "time_zone": {"Asia/Tokyo"}}).
			WantRedirect(t, "/console/clomo?done=created")
		rep.Get("/console/clomo?done=created").Want(t, http.StatusOK, "CLOMO 環境を作成しました", "変更を保存")
		rep.Get("/console").Want(t, http.StatusOK, "作成済み（組織名: あんしん商事株式会社）")
		rep.awaitMail("yamada.taro@example.co.jp", seen, "あんしん商事株式会社")
		// The login's group choice shows the organization name now.
		other := newBrowser(t, srv.URL)
		other.toKeyPage("demo-rep", demoPassword)
		p, _ = other.issueKey("+819012345678")
		p.Want(t, http.StatusOK, "あんしん商事株式会社（代表番号 03-1234-5678）")
	})

	t.Run("管理者設定", func(t *testing.T) {
		p := rep.Get("/console/admins")
		p.Want(t, http.StatusOK, "管理者設定", "山田 太郎", "（あなた）", "佐藤 花子", "demo-admin", "代表管理者", "sato.hanako@example.co.jp", "未完了", "管理者を追加する")

		rep.Get("/console/admins/new").Want(t, http.StatusOK, "初回認証パスワード", "8〜128 文字")
		p = rep.Post("/console/admins", url.Values{"login_id": {"demo-nogroup"}, "name": {"田中 次郎"}, "initial_password": {"password"}})
		p.Want(t, http.StatusUnprocessableEntity, "英字と数字をそれぞれ 1 文字以上")
		p.WantFieldError(t, "initial_password")
		if strings.Contains(p.Body, `value="password"`) {
			t.Error("the refused initial password is echoed into the form")
		}
		p = rep.Post("/console/admins", url.Values{"login_id": {"nobody"}, "name": {"田中 次郎"}, "initial_password": {"Tanaka2025"}})
		p.Want(t, http.StatusUnprocessableEntity, "登録済みのアカウントだけを追加できます")
		p.WantFieldError(t, "login_id")
		p = rep.Post("/console/admins", url.Values{"login_id": {"demo-admin"}, "name": {"佐藤"}, "initial_password": {"Tanaka2025"}})
		p.Want(t, http.StatusConflict, "すでにこのご契約グループの管理者です")

		seen := messageIDs(rep.outbox())
		p = rep.Post("/console/admins", url.Values{"login_id": {"demo-nogroup"}, "name": {"田中 次郎"}, "email": {"tanaka@example.co.jp"}, "initial_password": {"Tanaka2025"}})
		p.Want(t, http.StatusCreated, "Tanaka2025", "この画面でだけ表示されます", "田中 次郎")
		rep.awaitMail("tanaka@example.co.jp", seen, "管理者として登録されました")
		p = rep.Get("/console/admins")
		p.Want(t, http.StatusOK, "田中 次郎", "tanaka@example.co.jp")
		if strings.Contains(p.Body, "Tanaka2025") {
			t.Error("the initial password shows again on the list")
		}

		rep.Get("/console/admins/demo-nogroup").Want(t, http.StatusOK, "管理者を編集する", "demo-nogroup")
		p = rep.Post("/console/admins/demo-nogroup", url.Values{"name": {"田中 次郎"}, "email": {"tanaka@"}})
		p.Want(t, http.StatusUnprocessableEntity)
		p.WantFieldError(t, "email")
		rep.Post("/console/admins/demo-nogroup", url.Values{"name": {"田中 二郎"}, "email": {"tanaka@example.co.jp"}}).
			WantRedirect(t, "/console/admins/demo-nogroup?done=updated")
		rep.Get("/console/admins/demo-nogroup?done=updated").Want(t, http.StatusOK, "管理者情報を保存しました", "田中 二郎")

		rep.Get("/console/admins/demo-nogroup/initial-password").Want(t, http.StatusOK, "初回認証パスワードを再設定する")
		p = rep.Post("/console/admins/demo-nogroup/initial-password", url.Values{"initial_password": {"short"}})
		p.Want(t, http.StatusUnprocessableEntity)
		p.WantFieldError(t, "initial_password")
		rep.Post("/console/admins/demo-nogroup/initial-password", url.Values{"initial_password": {"Reset2026x"}}).
			Want(t, http.StatusOK, "Reset2026x", "初回認証パスワードを再設定しました")

		rep.Get("/console/admins/demo-nogroup/delete").Want(t, http.StatusOK, "田中 二郎（ID: demo-nogroup）をこのご契約グループの管理者から削除します", "削除する")
		rep.Post("/console/admins/demo-nogroup/delete", url.Values{}).WantRedirect(t, "/console/admins?done=deleted")
		p = rep.Get("/console/admins?done=deleted")
		p.Want(t, http.StatusOK, "管理者を削除しました")
		if strings.Contains(p.Body, "田中 二郎") {
			t.Error("the deleted administrator is still listed")
		}
		rep.Post("/console/admins/demo-rep/delete", url.Values{}).Want(t, http.StatusForbidden, "この操作はできません")
		rep.Get("/console/admins/demo-rep/delete").Want(t, http.StatusForbidden, "この操作はできません")
		rep.Get("/console/admins/demo-rep/initial-password").Want(t, http.StatusForbidden, "この操作はできません")
	})

	t.Run("cross-origin posts are refused", func(t *testing.T) {
		for _, h := range [][]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Origin", "http://evil.example"},
		} {
			p := rep.Do(http.MethodPost, "/console/clomo", url.Values{"organization_name": {"乗っ取り"}, "time_zone": {"Asia/Tokyo"}}, h...)
			if p.Status != http.StatusForbidden {
				t.Errorf("cross-origin POST with %v: %d, want 403", h, p.Status)
			}
			p = rep.Do(http.MethodPost, "/console/admins/demo-admin/delete", url.Values{}, h...)
			if p.Status != http.StatusForbidden {
				t.Errorf("cross-origin delete with %v: %d, want 403", h, p.Status)
			}
		}
		rep.Get("/console").Want(t, http.StatusOK, "あんしん商事株式会社")
		rep.Get("/console/admins").Want(t, http.StatusOK, "佐藤 花子")
		// The same form from the same origin passes.
		p := rep.Do(http.MethodPost, "/console/clomo", url.Values{"organization_name": {"あんしん商事株式会社"}, "time_zone": {"Asia/Tokyo"}},
			"Origin", srv.URL, "Sec-Fetch-Site", "same-origin")
		p.WantRedirect(t, "/console/clomo?done=updated")
	})

	t.Run("audit log", func(t *testing.T) {
		p := rep.Get("/console/audit")
		p.Want(t, http.StatusOK, "監査ログ", "CLOMO 環境の作成", "管理者の追加", "管理者の削除", "初回認証パスワード再設定", "ログイン", "ワンタイムキー発行", `SMS でワンタイムキーを発行（送信先 <span class="token">090-****-5678</span>）`, `<span class="token">090-****-5678</span> への送信: 送信済み`)
		p = rep.Get("/console/audit?kind=admin_added")
		p.Want(t, http.StatusOK, "管理者の追加", "demo-nogroup")
		if strings.Contains(p.Body, "<td>管理者の削除</td>") {
			t.Error("the kind filter lets other kinds through")
		}
		p = rep.Get("/console/audit?from=2020-13-01")
		p.Want(t, http.StatusUnprocessableEntity, "開始日を YYYY-MM-DD の形で入力してください")
		if !regexp.MustCompile(`<input id="from"[^>]*aria-invalid="true"`).MatchString(p.Body) {
			t.Error("the bad date is not marked invalid")
		}
		p = rep.Get("/console/audit?limit=1")
		p.Want(t, http.StatusOK, "さらに古い記録")
	})

	t.Run("every text is translated", func(t *testing.T) {
		untranslated := regexp.MustCompile(`\b(admins|audit|clomo|groups|role|console\.err|nav|contract)\.[a-z_]+`)
		for _, lang := range []string{"en", "ja"} {
			for _, path := range []string{"/console", "/console/clomo", "/console/admins", "/console/admins/new", "/console/admins/demo-admin",
				"/console/admins/demo-admin/delete", "/console/admins/demo-admin/initial-password", "/console/audit", "/console/groups"} {
				p := rep.Get(path + "?lang=" + lang)
				p.Want(t, http.StatusOK)
				if m := untranslated.FindString(p.Body); m != "" {
					t.Errorf("%s in %s shows the bare key %q", path, lang, m)
				}
			}
		}
		rep.Get("/console/admins?lang=en").Want(t, http.StatusOK, "Administrators", "Add an administrator", "Pending (initial authentication password required)")
		rep.Get("/console/admins?lang=ja").Want(t, http.StatusOK, "管理者設定")
	})

	t.Run("a removed administrator loses access at once", func(t *testing.T) {
		admin := newBrowser(t, srv.URL)
		admin.toKeyPage("demo-admin", demoPassword)
		_, key := admin.issueKey("+818023456789")
		admin.Post("/login/key/verify", url.Values{"key": {key}, "group_id": {"anshin-shoji"}}).WantRedirect(t, "/login/initial-password")
		admin.Post("/login/initial-password", url.Values{"initial_password": {"Init2345x"}}).WantRedirect(t, "/console?welcome=1")
		p := admin.Get("/console/admins")
		p.Want(t, http.StatusOK, "佐藤 花子")
		if strings.Contains(p.Body, "管理者を追加する</a>") || strings.Contains(p.Body, "/delete") {
			t.Error("an admin is offered adding or deleting")
		}
		admin.Post("/console/admins", url.Values{"login_id": {"demo-nogroup"}, "name": {"x"}, "initial_password": {"Tanaka2025"}}).Want(t, http.StatusForbidden)
		admin.Get("/console/admins/new").Want(t, http.StatusForbidden)
		admin.Get("/console/admins/demo-rep/delete").Want(t, http.StatusForbidden)
		admin.Post("/console/admins/demo-rep/delete", url.Values{}).Want(t, http.StatusForbidden)
		admin.Post("/console/admins/demo-admin/initial-password", url.Values{"initial_password": {"Abcd12345"}}).Want(t, http.StatusForbidden)
		admin.Post("/console/admins/demo-rep", url.Values{"name": {"x"}, "email": {"evil@example.com"}}).Want(t, http.StatusForbidden)

		rep.Post("/console/admins/demo-admin/delete", url.Values{}).WantRedirect(t, "/console/admins?done=deleted")
		for i, path := range []string{"/console", "/console/admins", "/console/clomo", "/console/audit", "/console/groups"} {
			to := "/login"
			if i == 0 {
				to += "?expired=1" // the first answer says why and clears the cookie
			}
			admin.Get(path).WantRedirect(t, to)
		}
		admin.Post("/console/clomo", url.Values{"organization_name": {"x"}}).WantRedirect(t, "/login")
	})
}

func TestRunServeGroupSwitchPage(t *testing.T) {
	// The test is also the TLS-terminating proxy that says https.
	srv := startServe(t, testEnv(t, "ANSHIN_TRUSTED_PROXIES", "127.0.0.1"), "serve", "--demo")
	u, _ := url.Parse(srv.URL)

	anon := newBrowser(t, srv.URL)
	for _, path := range []string{"/console", "/console/clomo", "/console/admins", "/console/admins/new", "/console/admins/demo-rep",
		"/console/admins/demo-rep/delete", "/console/admins/demo-rep/initial-password", "/console/audit", "/console/groups"} {
		anon.Get(path).WantRedirect(t, "/login")
	}
	for _, path := range []string{"/console/clomo", "/console/admins", "/console/admins/demo-admin", "/console/admins/demo-admin/mail-state",
		"/console/admins/demo-admin/delete", "/console/admins/demo-admin/initial-password", "/console/groups"} {
		anon.Post(path, url.Values{"name": {"x"}}).WantRedirect(t, "/login")
	}

	// midori-seiyaku's representative makes demo-multi's first login
	// there pending again.
	midori := newBrowser(t, srv.URL)
	midori.signIn("demo-noemail", "+817045678901", "midori-seiyaku")
	midori.Post("/console/admins/demo-multi/initial-password", url.Values{"initial_password": {"Switch2026"}}).
		Want(t, http.StatusOK, "Switch2026")

	b := newBrowser(t, srv.URL)
	b.signIn("demo-multi", "+818067890123", "sakura-butsuryu")
	b.Get("/console").Want(t, http.StatusOK, "N0000002", "グループ切替")

	// Another group's administrators can be neither seen nor changed.
	for _, path := range []string{"/console/admins/demo-rep", "/console/admins/demo-rep/delete", "/console/admins/demo-rep/initial-password"} {
		p := b.Get(path)
		p.Want(t, http.StatusNotFound)
		if strings.Contains(p.Body, "山田 太郎") {
			t.Errorf("%s shows anshin-shoji's representative", path)
		}
	}
	for _, path := range []string{"/console/admins/demo-rep", "/console/admins/demo-rep/mail-state", "/console/admins/demo-rep/delete", "/console/admins/demo-rep/initial-password"} {
		b.Post(path, url.Values{"name": {"x"}, "initial_password": {"Abcd12345"}}).Want(t, http.StatusNotFound)
	}
	p := b.Get("/console/admins")
	if strings.Contains(p.Body, "山田 太郎") || strings.Contains(p.Body, "demo-admin") {
		t.Error("sakura's list shows anshin-shoji's administrators")
	}

	p = b.Get("/console/groups")
	p.Want(t, http.StatusOK, "さくら物流株式会社", "ひかり建設株式会社", "052-123-4567", "現在のグループ", "初回認証パスワードが必要です")
	if strings.Contains(p.Body, "anshin-shoji") {
		t.Error("a group the account does not administer is offered")
	}
	before := b.Cookie("anshin_session")
	b.Post("/console/groups", url.Values{"group_id": {"anshin-shoji"}}).Want(t, http.StatusForbidden, "選んだご契約グループの管理者ではありません")
	b.Post("/console/groups", url.Values{}).Want(t, http.StatusUnprocessableEntity, "切り替えるご契約グループを選んでください")

	p = b.Do(http.MethodPost, "/console/groups", url.Values{"group_id": {"hikari-kensetsu"}}, "X-Forwarded-Proto", "https")
	cookies := p.Header.Values("Set-Cookie")
	p.WantRedirect(t, "/console?welcome=1")
	var set string
	for _, c := range cookies {
		if strings.HasPrefix(c, "anshin_session=") {
			set = c
		}
	}
	for _, attr := range []string{"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(set, attr) {
			t.Errorf("the session cookie %q lacks %s", set, attr)
		}
	}
	after := strings.TrimPrefix(strings.SplitN(set, ";", 2)[0], "anshin_session=")
	if after == "" || after == before {
		t.Fatalf("the switch kept the session identifier")
	}
	// The jar would not send a Secure cookie over http; use the new value.
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "anshin_session", Value: after, Path: "/"}})
	b.Get("/console").Want(t, http.StatusOK, "N0000004", "ひかり建設株式会社")
	old := newBrowser(t, srv.URL)
	old.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "anshin_session", Value: before, Path: "/"}})
	old.Get("/console").WantRedirect(t, "/login?expired=1")
	b.Get("/console/audit?kind=group_switched").Want(t, http.StatusOK, "グループ切替", "sakura-butsuryu", "hikari-kensetsu")

	// A pending first login asks for the initial password, without a key.
	b.Post("/console/groups", url.Values{"group_id": {"midori-seiyaku"}}).WantRedirect(t, "/login/initial-password")
	if b.Cookie("anshin_session") != "" {
		t.Error("the session survived a switch that waits for the initial password")
	}
	b.Get("/login/initial-password").Want(t, http.StatusOK, "初回認証パスワードの入力")
	b.Post("/login/initial-password", url.Values{"initial_password": {"Wrong2026x"}}).Want(t, http.StatusUnauthorized, "初回認証パスワードが正しくありません")
	b.Post("/login/initial-password", url.Values{"initial_password": {"Switch2026"}}).WantRedirect(t, "/console?welcome=1")
	b.Get("/console").Want(t, http.StatusOK, "N0000003")
	midori.Get("/console/admins").Want(t, http.StatusOK, "渡辺 健一")
}
