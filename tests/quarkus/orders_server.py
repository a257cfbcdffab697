"""The order service of the Quarkus consumer test, served by the ss3-protos wheel's Python stubs.

Run with the Python of a venv that installed `ss3-protos[grpc]`: it listens on
127.0.0.1 (a free port), prints the port, and serves until its stdin closes.
"""

from __future__ import annotations

import sys
from concurrent import futures

import grpc
from ss3.orders.v1 import order_pb2, order_service_pb2, order_service_pb2_grpc


class Orders(order_service_pb2_grpc.OrderServiceServicer):
    def GetOrder(
        self, request: order_service_pb2.GetOrderRequest, context: grpc.ServicerContext
    ) -> order_service_pb2.GetOrderResponse:
        order = order_pb2.Order(order_id=request.order_id, status=order_pb2.ORDER_STATUS_PAID)
        order.total.currency_code, order.total.amount_minor = "EUR", 1999
        return order_service_pb2.GetOrderResponse(order=order)


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    order_service_pb2_grpc.add_OrderServiceServicer_to_server(Orders(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    sys.stdin.read()
    server.stop(None)


if __name__ == "__main__":
    main()
