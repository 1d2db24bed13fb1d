"""kafka-python (Debian python3-kafka) round trip against the embedded broker.

Usage: kafka_python_roundtrip.py BOOTSTRAP TOPIC GROUP
Prints one JSON object: what was produced, consumed, and the committed offset.
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
result = {}

producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', linger_ms=5)
metadata = [producer.send(topic, key=b'k%d' % i, value=b'first-%d' % i).get(timeout=10) for i in range(5)]
producer.flush()
result['produced_offsets'] = [m.offset for m in metadata]


def consume(expected):
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset='earliest',
        enable_auto_commit=False,
        consumer_timeout_ms=15000,
        session_timeout_ms=10000,
        heartbeat_interval_ms=1000,
    )
    values = []
    for message in consumer:
        values.append(message.key.decode() + '=' + message.value.decode())
        if len(values) >= expected:
            break
    consumer.commit()
    committed = consumer.committed(TopicPartition(topic, 0))
    consumer.close()
    return values, committed


result['first_read'], result['committed_after_first'] = consume(5)

for i in range(3):
    producer.send(topic, key=b'k%d' % i, value=b'second-%d' % i)
producer.flush()
producer.close()

# Same group again: it resumes from the committed offset, so only the new messages arrive.
result['second_read'], result['committed_after_second'] = consume(3)
print(json.dumps(result))
