package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/operator"
	"github.com/anshin/anshin/internal/secret"
)

// runOperator runs the provisioning of SPEC §5 from the command line, with
// the same JSON bodies as the operator API, read from standard input.
func runOperator(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) < 2 || args[1] != "put" {
		return usageError{"operator: expected account|group|admin|clomo put ..."}
	}
	want := map[string]int{"account": 1, "group": 1, "admin": 2, "clomo": 1}[args[0]]
	if want == 0 || len(args) != 2+want {
		return usageError{fmt.Sprintf("operator %s put: wrong arguments", args[0])}
	}
	ids := args[2:]
	cfg, err := config.Load(getenv, false)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	db, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	p := operator.New(db, secret.NewHasher(cfg.Argon2), func() time.Time { return time.Now().UTC() })
	p.NoPassword = !cfg.OIDC.PasswordLogin
	body, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
	if err != nil {
		return fmt.Errorf("reading standard input: %w", err)
	}
	var created bool
	switch args[0] {
	case "account":
		var in operator.AccountInput
		if err = decodeStrict(body, &in); err == nil {
			created, err = p.PutAccount(ctx, ids[0], in)
		}
	case "group":
		var in operator.GroupInput
		if err = decodeStrict(body, &in); err == nil {
			created, err = p.PutGroup(ctx, ids[0], in)
		}
	case "admin":
		var in operator.AdminInput
		if err = decodeStrict(body, &in); err == nil {
			created, err = p.PutAdministrator(ctx, ids[0], ids[1], in)
		}
	case "clomo":
		var in anshin.CLOMOEnvironment
		if err = decodeStrict(body, &in); err == nil {
			created, err = p.PutCLOMO(ctx, ids[0], in)
		}
	}
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintln(stdout, "created")
	} else {
		fmt.Fprintln(stdout, "updated")
	}
	return nil
}

func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return anshin.Errorf(anshin.ECodeInvalidRequest, "standard input is not a valid JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return anshin.Errorf(anshin.ECodeInvalidRequest, "standard input holds more than one JSON value")
	}
	return nil
}
