# Loket: the two commands a newcomer needs on a fresh Debian 12 machine (as root):
#   make demo   installs what is missing, builds, and serves the demo bot on http://127.0.0.1:8080
#   make test   installs what the tests need, builds normal + ASan/UBSan, runs every test
# Everything else here serves those two.

BUILD      ?= build
ASAN_BUILD ?= build-asan
LISTEN     ?= 127.0.0.1:8080
DEMO_DB    ?= sqlite:var/demo.db

# Debian packages: to build and run, and in addition to test.
BUILD_PKGS = build-essential meson ninja-build pkg-config python3 \
	libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libsqlite3-dev libpq-dev \
	libstemmer-dev libutf8proc-dev libpcre2-dev libyaml-dev libxml2-dev libssl-dev \
	libargon2-dev libexttextcat-dev
TEST_PKGS  = libcmocka-dev clang libclang-rt-14-dev sqlite3 chromium node=nodejs npm=npm

.PHONY: all build demo test deps test-deps asan unit e2e browser fuzz bench clean

all: build

deps:
	@sh tools/install-deps.sh $(BUILD_PKGS)

test-deps:
	@sh tools/install-deps.sh $(BUILD_PKGS) $(TEST_PKGS)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release -Dwerror=true

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	@mkdir -p var
	@./$(BUILD)/loket agent add --bot bots/gemeente-demo --db $(DEMO_DB) --username beheer \
		--name Beheer --role admin </dev/null 2>/dev/null || true
	@echo "Loket demo: open http://$(LISTEN)/ in your browser, colleagues http://$(LISTEN)/agent (Ctrl-C stops it)"
	./$(BUILD)/loket serve --bot bots/gemeente-demo --listen $(LISTEN) --db $(DEMO_DB)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debugoptimized -Dwerror=true \
		-Db_sanitize=address,undefined -Db_lundef=false

asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

test: test-deps
	@sh tests/run_all.sh $(BUILD) $(ASAN_BUILD)

fuzz: test-deps
	sh tests/fuzz/run.sh 60

bench: build
	sh bench/retrieval/run.sh
	sh bench/http/run.sh
	sh bench/llm/run.sh
	sh bench/llm/run_cite.sh
	sh bench/nlu/run.sh
	sh bench/widget/run.sh
	sh bench/sse/run.sh
	sh bench/webhook/run.sh
	BUILD_DIR=$(BUILD) sh bench/handoff/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
