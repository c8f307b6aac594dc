package anshin

import "time"

// JapanTime is the zone administrators read times in: the dates of an
// audit filter, the time a key is valid until, the times on pages. A fixed
// offset, since Japan keeps no daylight saving time and a server may lack
// the zone database.
var JapanTime = time.FixedZone("JST", 9*60*60)

// DefaultTimeZone is a CLOMO environment's time zone when none is given.
const DefaultTimeZone = "Asia/Tokyo"
