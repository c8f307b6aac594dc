package login

import (
	"context"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/secret"
)

// CalibrateDummy makes unknown login IDs cost what most known ones do.
//
// A known ID costs the parameters its stored hash was made with; a right
// password re-hashes with the current ones (Password), so after
// ANSHIN_ARGON2_* changed, accounts move over one login at a time. An
// unknown ID is verified against a dummy hash: made with the current
// parameters it would answer faster or slower than nearly every known ID
// until most had signed in again, telling the two apart. Made with the
// parameters most stored hashes have, it costs the same as the majority
// of known IDs at all times: right after a change, the old parameters;
// once most accounts were re-hashed, the new. Only the minority on the
// other side differs, and that minority shrinks to nothing. serve runs
// this at start and every hour.
func (s *Service) CalibrateDummy(ctx context.Context) error {
	var counts map[string]int
	err := s.store.View(ctx, func(tx anshin.Tx) error {
		var err error
		counts, err = tx.PasswordHashParams()
		return err
	})
	if err != nil {
		return err
	}
	cur := s.hasher.Params()
	best, bestN := cur, 0
	for prefix, n := range counts {
		p, ok := secret.ParamsOf(prefix)
		if !ok {
			continue
		}
		// Ties go to the current parameters, then to the costlier.
		if n > bestN || n == bestN && (p == cur || best != cur && costlier(p, best)) {
			best, bestN = p, n
		}
	}
	s.hasher.SetDummyParams(best)
	return nil
}

func costlier(a, b secret.Argon2Params) bool {
	return uint64(a.MemoryKiB)*uint64(a.Time) > uint64(b.MemoryKiB)*uint64(b.Time)
}
