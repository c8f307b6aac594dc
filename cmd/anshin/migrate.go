package main

import (
	"context"
	"fmt"
	"io"

	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageError{"migrate takes no arguments"}
	}
	cfg, err := config.Load(getenv, false)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	db, err := sqlstore.Open(cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("ANSHIN_DATABASE_URL: %w", err)
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrations applied: %d\n", n)
	return nil
}
