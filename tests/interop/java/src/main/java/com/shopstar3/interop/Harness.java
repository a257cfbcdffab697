package com.shopstar3.interop;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Message;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces and consumes records the way a Java service does, driven by tab-separated files.
 *
 * <p>The client configuration (Kafka and Apicurio serde properties) comes from a properties file
 * exactly as a service would set it; the harness adds nothing to it but the byte-array
 * (de)serializers of the raw commands.
 *
 * <pre>
 * produce     CONFIG RECORDS   RECORDS: topic, event class, base64 event, topic envelope class
 * produce-raw CONFIG RECORDS   RECORDS: topic, base64 value, headers (name=base64,...)
 * produce-stream CONFIG -      RECORDS as for produce, read from stdin as they come
 * consume     CONFIG READS     READS: topic, partition, first offset, count
 * consume-raw CONFIG READS
 * </pre>
 *
 * <p>{@code produce} wraps each event into its topic envelope as a service does (the event's
 * metadata into the envelope's, the rest into the oneof member) and sends the envelope;
 * {@code consume} unwraps what the deserializer returns the same way. Produce commands print
 * "topic partition offset" per record; consume commands print "topic partition offset class
 * base64(payload) headers" (consume: the event's class and bytes, or "-" when the envelope
 * holds no event this build knows) or "topic partition offset base64(value) headers"
 * (consume-raw). A failure prints the exception and exits 1.
 *
 * <p>{@code produce-stream} is one producer that keeps running, as a service does: it sends each
 * row as soon as it reads it from stdin and answers with one line, "topic partition offset" or
 * "error" and the exception's messages (the record was refused; the producer goes on), until stdin
 * closes.
 */
public final class Harness {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final Base64.Decoder UNB64 = Base64.getDecoder();

  private Harness() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: Harness produce|produce-raw|consume|consume-raw CONFIG FILE");
      System.exit(2);
    }
    Properties config = load(Path.of(args[1]));
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    if (args[0].equals("produce-stream")) {
      produceStream(config, out);
      System.exit(0);
    }
    List<String[]> rows = rows(Path.of(args[2]));
    try {
      switch (args[0]) {
        case "produce" -> produce(config, rows, out);
        case "produce-raw" -> produceRaw(config, rows, out);
        case "consume" -> consume(config, rows, out, false);
        case "consume-raw" -> consume(config, rows, out, true);
        default -> {
          System.err.println("unknown command " + args[0]);
          System.exit(2);
        }
      }
    } catch (Exception error) {
      error.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  private static Properties load(Path path) throws IOException {
    Properties properties = new Properties();
    try (InputStream in = new FileInputStream(path.toFile())) {
      properties.load(in);
    }
    return properties;
  }

  private static List<String[]> rows(Path path) throws IOException {
    List<String[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        rows.add(line.split("\t", -1));
      }
    }
    return rows;
  }

  private static void produce(Properties config, List<String[]> rows, PrintStream out) throws Exception {
    try (KafkaProducer<String, Message> producer = new KafkaProducer<>(config)) {
      for (String[] row : rows) {
        Message event = parse(row[1], UNB64.decode(row[2]));
        RecordMetadata sent = producer.send(new ProducerRecord<>(row[0], wrap(row[3], event))).get();
        out.println(String.join("\t", sent.topic(), "" + sent.partition(), "" + sent.offset()));
      }
    }
  }

  private static void produceStream(Properties config, PrintStream out) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (KafkaProducer<String, Message> producer = new KafkaProducer<>(config)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        String[] row = line.split("\t", -1);
        try {
          Message envelope = wrap(row[3], parse(row[1], UNB64.decode(row[2])));
          RecordMetadata sent = producer.send(new ProducerRecord<>(row[0], envelope)).get();
          out.println(String.join("\t", sent.topic(), "" + sent.partition(), "" + sent.offset()));
        } catch (Exception error) {
          out.println("error\t" + messages(error));
        }
      }
    }
  }

  /** The messages of an exception and its causes, on one line. */
  private static String messages(Throwable error) {
    List<String> parts = new ArrayList<>();
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      parts.add(cause.getClass().getName() + ": " + cause.getMessage());
    }
    return String.join(" <- ", parts).replaceAll("[\\t\\r\\n]+", " ");
  }

  /** The generated class named by the row, filled from the protobuf bytes Python wrote. */
  private static Message parse(String className, byte[] payload) throws Exception {
    Class<?> type = Class.forName(className);
    return (Message) type.getMethod("parseFrom", byte[].class).invoke(null, (Object) payload);
  }

  /**
   * The topic envelope holding `event`: what {@code OrderEvents.newBuilder().setMetadata(e.getMetadata())
   * .setOrderPlaced(e.toBuilder().clearMetadata())} does, for any topic.
   */
  private static Message wrap(String envelopeClass, Message event) throws Exception {
    Message.Builder envelope = (Message.Builder) Class.forName(envelopeClass).getMethod("newBuilder").invoke(null);
    FieldDescriptor metadata = event.getDescriptorForType().findFieldByNumber(1);
    FieldDescriptor member = null;
    for (FieldDescriptor field : envelope.getDescriptorForType().getOneofs().get(0).getFields()) {
      if (field.getMessageType().equals(event.getDescriptorForType())) {
        member = field;
      }
    }
    if (member == null) {
      throw new IllegalArgumentException(event.getDescriptorForType().getFullName() + " is not in " + envelopeClass);
    }
    envelope.setField(envelope.getDescriptorForType().findFieldByNumber(1), event.getField(metadata));
    envelope.setField(member, event.toBuilder().clearField(metadata).build());
    return envelope.build();
  }

  /**
   * The event in `envelope`, its metadata put back: {@code e.getOrderPlaced().toBuilder()
   * .setMetadata(e.getMetadata())}, for any topic; null when the envelope holds no known event.
   */
  private static Message unwrap(Message envelope) {
    OneofDescriptor event = envelope.getDescriptorForType().getOneofs().get(0);
    FieldDescriptor member = envelope.getOneofFieldDescriptor(event);
    if (member == null) {
      return null;
    }
    Message inner = (Message) envelope.getField(member);
    FieldDescriptor metadata = inner.getDescriptorForType().findFieldByNumber(1);
    return inner.toBuilder()
        .setField(metadata, envelope.getField(envelope.getDescriptorForType().findFieldByNumber(1)))
        .build();
  }

  private static void produceRaw(Properties config, List<String[]> rows, PrintStream out) throws Exception {
    config.put("key.serializer", ByteArraySerializer.class.getName());
    config.put("value.serializer", ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
      for (String[] row : rows) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(row[0], UNB64.decode(row[1]));
        for (Map.Entry<String, byte[]> header : headers(row.length > 2 ? row[2] : "").entrySet()) {
          record.headers().add(new RecordHeader(header.getKey(), header.getValue()));
        }
        RecordMetadata sent = producer.send(record).get();
        out.println(String.join("\t", sent.topic(), "" + sent.partition(), "" + sent.offset()));
      }
    }
  }

  private static Map<String, byte[]> headers(String text) {
    Map<String, byte[]> headers = new HashMap<>();
    for (String item : text.split(",")) {
      if (!item.isEmpty()) {
        int at = item.indexOf('=');
        headers.put(item.substring(0, at), UNB64.decode(item.substring(at + 1)));
      }
    }
    return headers;
  }

  private static void consume(Properties config, List<String[]> reads, PrintStream out, boolean raw) {
    if (raw) {
      config.put("key.deserializer", ByteArrayDeserializer.class.getName());
      config.put("value.deserializer", ByteArrayDeserializer.class.getName());
    }
    Map<TopicPartition, Long> remaining = new HashMap<>();
    Map<TopicPartition, Long> first = new HashMap<>();
    for (String[] read : reads) {
      TopicPartition partition = new TopicPartition(read[0], Integer.parseInt(read[1]));
      first.put(partition, Long.parseLong(read[2]));
      remaining.put(partition, Long.parseLong(read[3]));
    }
    try (KafkaConsumer<Object, Object> consumer = new KafkaConsumer<>(config)) {
      // Explicit assignment: no consumer-group rebalance to wait for.
      consumer.assign(first.keySet());
      first.forEach(consumer::seek);
      Instant deadline = Instant.now().plus(READ_TIMEOUT);
      while (remaining.values().stream().anyMatch(n -> n > 0)) {
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("records still missing after " + READ_TIMEOUT + ": " + remaining);
        }
        for (ConsumerRecord<Object, Object> record : consumer.poll(Duration.ofMillis(500))) {
          TopicPartition partition = new TopicPartition(record.topic(), record.partition());
          long left = remaining.getOrDefault(partition, 0L);
          if (left <= 0) {
            continue;
          }
          remaining.put(partition, left - 1);
          out.println(line(record, raw));
        }
      }
    }
  }

  private static String line(ConsumerRecord<Object, Object> record, boolean raw) {
    List<String> fields = new ArrayList<>();
    fields.add(record.topic());
    fields.add("" + record.partition());
    fields.add("" + record.offset());
    if (raw) {
      fields.add(B64.encodeToString((byte[]) record.value()));
    } else {
      Message value = unwrap((Message) record.value());
      fields.add(value == null ? "-" : value.getClass().getName());
      fields.add(value == null ? "" : B64.encodeToString(value.toByteArray()));
    }
    List<String> headers = new ArrayList<>();
    for (Header header : record.headers()) {
      headers.add(header.key() + "=" + B64.encodeToString(header.value()));
    }
    fields.add(String.join(",", headers));
    return String.join("\t", fields);
  }
}
