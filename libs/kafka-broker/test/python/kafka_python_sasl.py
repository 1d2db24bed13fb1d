"""kafka-python with SASL/PLAIN (SaslHandshake v0, then a bare token). Usage: BOOTSTRAP USER PASSWORD TOPIC"""
import json
import sys

from kafka import KafkaProducer

bootstrap, user, password, topic = sys.argv[1:5]
producer = KafkaProducer(
    bootstrap_servers=bootstrap,
    security_protocol='SASL_PLAINTEXT',
    sasl_mechanism='PLAIN',
    sasl_plain_username=user,
    sasl_plain_password=password,
)
meta = producer.send(topic, value=b'secured').get(timeout=10)
producer.close()
print(json.dumps({'offset': meta.offset}))
