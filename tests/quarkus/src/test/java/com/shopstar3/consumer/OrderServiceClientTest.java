package com.shopstar3.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shopstar3.ss3.orders.v1.GetOrderRequest;
import com.shopstar3.ss3.orders.v1.GetOrderResponse;
import com.shopstar3.ss3.orders.v1.OrderEventsProto;
import com.shopstar3.ss3.orders.v1.OrderPlaced;
// Quarkus' Mutiny interface, as docs/java-services.md shows it: this compiles only when it is generated.
import com.shopstar3.ss3.orders.v1.OrderService;
import com.shopstar3.ss3.orders.v1.OrderServiceGrpc;
import com.shopstar3.ss3.orders.v1.OrderStatus;
import com.shopstar3.ss3.options.v1.OptionsProto;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** A Quarkus service's view of ss3-protos: classes generated from the published jar. */
@QuarkusTest
class OrderServiceClientTest {

    @GrpcClient("orders")
    OrderServiceGrpc.OrderServiceBlockingStub orders;

    /** The order service answering here is the Python wheel's servicer, started by the test harness. */
    @Test
    void callsTheOrderServiceServedByThePythonStubs() {
        GetOrderResponse reply = orders.getOrder(GetOrderRequest.newBuilder().setOrderId("ord_42").build());
        assertEquals("ord_42", reply.getOrder().getOrderId());
        assertEquals(OrderStatus.ORDER_STATUS_PAID, reply.getOrder().getStatus());
        assertEquals("EUR", reply.getOrder().getTotal().getCurrencyCode());
        assertEquals(1999, reply.getOrder().getTotal().getAmountMinor());
    }

    /** The custom options travel with the generated classes: a consumer finds an event's topic. */
    @Test
    void readsTheTopicOfAnEventFromItsGeneratedClass() {
        String topic = OrderPlaced.getDescriptor().getFile().getOptions().getExtension(OptionsProto.topic);
        assertEquals("ss3.orders.order-events.v1", topic);
        boolean isEvent = OrderPlaced.getDescriptor().getOptions().getExtension(OptionsProto.event);
        assertTrue(isEvent);
        assertTrue(OrderService.class.isInterface());
        assertEquals(OrderEventsProto.getDescriptor(), OrderPlaced.getDescriptor().getFile());
    }
}
