# Chromium for the browser tests (cmd/anshin/browser_test.go), driven
# headless through the DevTools protocol by chromedp. Nothing runs until a
# test starts it.
chromium_packages="chromium fonts-noto-cjk"

chromium_start() {
	local bin
	for bin in chromium chromium-browser google-chrome; do
		if command -v "$bin" >/dev/null; then
			export ANSHIN_TEST_CHROMIUM
			ANSHIN_TEST_CHROMIUM=$(command -v "$bin")
			return 0
		fi
	done
	return 1
}

chromium_stop() { :; }
