package com.shopstar3.interop.quarkus;

import com.google.protobuf.Message;
import com.shopstar3.ss3.common.v1.EventMetadata;
import com.shopstar3.ss3.orders.v1.OrderCancelled;
import com.shopstar3.ss3.orders.v1.OrderPlaced;
import io.quarkus.runtime.Quarkus;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Once its consumer has a position at the end of the topic, sends two events of one topic,
 * prints the class of each record it reads back, then exits. Records other runs left on the
 * topic are never read.
 */
@ApplicationScoped
@Identifier("from-now-on")
public class OrderEventsService implements KafkaConsumerRebalanceListener {
  private static final int EXPECTED = 2;

  @Inject
  @Channel("order-events-out")
  Emitter<Message> emitter;

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
    EventMetadata metadata = EventMetadata.newBuilder().setEventId("quarkus-1").build();
    emitter.send(OrderPlaced.newBuilder().setMetadata(metadata).build()).toCompletableFuture().join();
    emitter.send(OrderCancelled.newBuilder().setMetadata(metadata).setOrderId("o-1").build()).toCompletableFuture().join();
    System.out.println("SENT " + EXPECTED);
  }

  @Incoming("order-events-in")
  public void consume(Message event) {
    System.out.println("RECEIVED " + event.getClass().getName());
    if (received.incrementAndGet() == EXPECTED) {
      Quarkus.asyncExit();
    }
  }
}
