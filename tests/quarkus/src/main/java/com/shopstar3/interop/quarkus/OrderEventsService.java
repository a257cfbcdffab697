package com.shopstar3.interop.quarkus;

import com.shopstar3.ss3.common.v1.EventMetadata;
import com.shopstar3.ss3.orders.v1.OrderCancelled;
import com.shopstar3.ss3.orders.v1.OrderEvents;
import com.shopstar3.ss3.orders.v1.OrderPlaced;
import io.quarkus.runtime.Quarkus;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Once its consumer has a position at the end of the topic, sends two events of one topic
 * (wrapped into the topic envelope as docs/kafka-clients.md shows), prints the class and event
 * id of each event it reads back (unwrapped the same way), then exits. Records other runs left
 * on the topic are never read.
 */
@ApplicationScoped
@Identifier("from-now-on")
public class OrderEventsService implements KafkaConsumerRebalanceListener {
  private static final int EXPECTED = 2;

  @Inject
  @Channel("order-events-out")
  Emitter<OrderEvents> emitter;

  private final AtomicInteger received = new AtomicInteger();
  private final CompletableFuture<Void> positioned = new CompletableFuture<>();

  @Override
  public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position); // resolves the end offsets now
    if (positioned.complete(null)) {
      CompletableFuture.runAsync(this::send);
    }
  }

  private void send() {
    EventMetadata placedMetadata = EventMetadata.newBuilder().setEventId("quarkus-1").build();
    EventMetadata cancelledMetadata = EventMetadata.newBuilder().setEventId("quarkus-2").build();
    OrderPlaced placed = OrderPlaced.newBuilder().setMetadata(placedMetadata).build();
    OrderCancelled cancelled = OrderCancelled.newBuilder().setMetadata(cancelledMetadata).setOrderId("o-1").build();
    publish(placed).toCompletableFuture().join();
    publish(cancelled).toCompletableFuture().join();
    System.out.println("SENT " + EXPECTED);
  }

  CompletionStage<Void> publish(OrderPlaced event) {
    return emitter.send(envelope(event));
  }

  CompletionStage<Void> publish(OrderCancelled event) {
    return emitter.send(envelope(event));
  }

  /** The topic's record: the event's metadata once, in the envelope. */
  static OrderEvents envelope(OrderPlaced event) {
    return OrderEvents.newBuilder()
        .setMetadata(event.getMetadata())
        .setOrderPlaced(event.toBuilder().clearMetadata())
        .build();
  }

  static OrderEvents envelope(OrderCancelled event) {
    return OrderEvents.newBuilder()
        .setMetadata(event.getMetadata())
        .setOrderCancelled(event.toBuilder().clearMetadata())
        .build();
  }

  @Incoming("order-events-in")
  public void consume(OrderEvents record) {
    switch (record.getEventCase()) {
      case ORDER_PLACED -> onOrderPlaced(record.getOrderPlaced().toBuilder().setMetadata(record.getMetadata()).build());
      case ORDER_CANCELLED ->
          onOrderCancelled(record.getOrderCancelled().toBuilder().setMetadata(record.getMetadata()).build());
      case EVENT_NOT_SET -> skipNewerEvent(record); // an event type newer than these classes
    }
    if (received.incrementAndGet() == EXPECTED) {
      Quarkus.asyncExit();
    }
  }

  private void skipNewerEvent(OrderEvents record) {
    System.out.println("SKIPPED an event type newer than these classes");
  }

  private void onOrderPlaced(OrderPlaced event) {
    System.out.println("RECEIVED " + event.getClass().getName() + " " + event.getMetadata().getEventId());
  }

  private void onOrderCancelled(OrderCancelled event) {
    System.out.println("RECEIVED " + event.getClass().getName() + " " + event.getMetadata().getEventId());
  }
}
