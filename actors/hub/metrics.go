package hub

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// actorMetrics holds protoactor's own OpenTelemetry instruments when the
// `leafhub { actor_metrics: true }` switch is on. They cost about 1 µs per
// mailbox message (shared/guides/protoactor.md), so they are off by default;
// leafhub's per-kind actor series cost nothing per message and are always on.
type actorMetrics struct {
	provider *sdkmetric.MeterProvider
}

// receiveBuckets fit handlers that take microseconds.
var receiveBuckets = []float64{1e-6, 5e-6, 2e-5, 1e-4, 5e-4, 2e-3, 1e-2, 0.1, 1}

func newActorMetrics(enabled bool, reg *prometheus.Registry) (*actorMetrics, error) {
	m := &actorMetrics{}
	if !enabled {
		return m, nil
	}
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("actor metrics: %w", err)
	}
	m.provider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp),
		sdkmetric.WithView(sdkmetric.NewView(
			sdkmetric.Instrument{Name: "protoactor_actor_message_receive_duration_seconds"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: receiveBuckets}})))
	// protoactor reads the global provider; without this it records nothing.
	otel.SetMeterProvider(m.provider)
	return m, nil
}

func (m *actorMetrics) shutdown(ctx context.Context) error {
	if m.provider == nil {
		return nil
	}
	if err := m.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("stop actor metrics: %w", err)
	}
	return nil
}
