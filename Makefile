# leafhub build, test and benchmark entry points. `make help` lists them.

GO       ?= go
BIN      := bin/leafhub
CONF     ?= deploy/leafhub.conf
# Packages whose code runs goroutines: tested under the race detector.
RACE_PKGS := ./actors/... ./tests/...
FUZZTIME ?= 10s
BENCHTIME ?= 1s

.PHONY: all build run test vet lint fmt bench fuzz clean help docker

all: build

help:
	@echo "make build   build $(BIN)"
	@echo "make run     build and run leafhub on $(CONF)"
	@echo "make test    go vet, race-detector tests of concurrent packages, all tests"
	@echo "make bench   leafhub vs embedded nats-server benchmarks, as ratios"
	@echo "make fuzz    short bounded fuzzing of the parsers (FUZZTIME=$(FUZZTIME) each)"
	@echo "make lint    gofmt check and go vet"
	@echo "make clean   remove build output"
	@echo "make docker  build the container image $(IMAGE) (skipped without a docker engine)"

build:
	$(GO) build -o $(BIN) ./cmd/leafhub

run: build
	./$(BIN) -c $(CONF)

vet:
	$(GO) vet ./...

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: lint
	$(GO) test -race -count=1 $(RACE_PKGS)
	$(GO) test -count=1 ./protocol/... ./config/... ./cmd/...

bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem ./protocol/... ./tests/ | tee bench.out
	$(GO) run ./tests/benchreport < bench.out

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParser$$' -fuzztime $(FUZZTIME) ./protocol/
	$(GO) test -run '^$$' -fuzz '^FuzzSubject$$' -fuzztime $(FUZZTIME) ./protocol/
	$(GO) test -run '^$$' -fuzz '^FuzzWSFrames$$' -fuzztime $(FUZZTIME) ./protocol/
	$(GO) test -run '^$$' -fuzz '^FuzzS2Stream$$' -fuzztime $(FUZZTIME) ./actors/conn/

clean:
	rm -rf bin bench.out

# The container image (deploy/docker/Dockerfile, context: the repository
# root). Skipped, successfully, where no docker engine is reachable.
IMAGE ?= leafhub:dev
docker:
	@if docker info >/dev/null 2>&1; then \
		echo "docker build -f deploy/docker/Dockerfile -t $(IMAGE) ."; \
		docker build -f deploy/docker/Dockerfile -t $(IMAGE) .; \
	else \
		echo "docker engine not available; skipping"; \
	fi
