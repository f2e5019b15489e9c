package io.unum.controlplane.feed;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A snapshot, then changes, to any number of subscribers (the SSE and gRPC event streams).
 * The owner publishes each change once; every subscriber turns it into what it is sent.
 *
 * <p>A subscriber joins before its snapshot is taken, and its snapshot goes out before any change
 * (both under the subscriber's lock), so a change made meanwhile is in the snapshot or comes next.
 * A subscriber {@code buffer} events behind is cut off with an error rather than buffered without
 * bound (its client reconnects and starts again from a snapshot); one whose stream terminates
 * (completion, error, or cancellation when the client goes away) leaves the list.
 *
 * @param <T> what the owner publishes
 * @param <E> what subscribers are sent
 */
public final class SnapshotFeed<T, E> {
    /** One subscriber's view of the feed. */
    public interface View<T, E> {
        /** What the subscriber is sent first; called once, after it joined. */
        List<E> snapshot();

        /** What the subscriber is sent for a published change; null to send nothing. */
        E next(T published);

        /** A view that is sent every change as published, after {@code snapshot}. */
        static <E> View<E, E> passing(Supplier<List<E>> snapshot) {
            return new View<>() {
                @Override
                public List<E> snapshot() {
                    return snapshot.get();
                }

                @Override
                public E next(E published) {
                    return published;
                }
            };
        }
    }

    private final int buffer;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();

    /** Counts its subscribers in the gauge {@code unum.events.subscribers{stream=<stream>}}. */
    public SnapshotFeed(MeterRegistry metrics, String stream, int buffer) {
        this.buffer = buffer;
        metrics.gaugeCollectionSize("unum.events.subscribers", Tags.of("stream", stream), subscribers);
    }

    /** A snapshot, then changes, until the subscriber cancels. */
    public Multi<E> stream(Supplier<View<T, E>> view) {
        return Multi.createFrom().<E>emitter(emitter -> {
            Subscriber subscriber = new Subscriber(emitter, view.get());
            emitter.onTermination(() -> subscribers.remove(subscriber));
            subscriber.open();
        }, BackPressureStrategy.ERROR).onOverflow().buffer(buffer);
    }

    public void publish(T change) {
        for (Subscriber subscriber : subscribers) {
            subscriber.send(change);
        }
    }

    public boolean idle() {
        return subscribers.isEmpty();
    }

    public int subscribers() {
        return subscribers.size();
    }

    private final class Subscriber {
        private final MultiEmitter<? super E> emitter;
        private final View<T, E> view;

        Subscriber(MultiEmitter<? super E> emitter, View<T, E> view) {
            this.emitter = emitter;
            this.view = view;
        }

        synchronized void open() {
            subscribers.add(this);
            if (emitter.isCancelled()) {
                subscribers.remove(this);
                return;
            }
            view.snapshot().forEach(emitter::emit);
        }

        synchronized void send(T change) {
            E event = view.next(change);
            if (event != null) {
                emitter.emit(event);
            }
        }
    }
}
