"""Nothing is lost across a reconnect: real servers, real Redis, real WebSocket clients."""

from tests.support.client import receive_action, send_json
from tests.support.rooms import QUIET, joined, messages_until_resumed, send_many
from tests.support.servers import ServerProcess


async def test_a_client_gone_while_50_messages_were_sent_gets_all_of_them_in_order_on_return(
    dev_server: ServerProcess,
) -> None:
    room = "resume-single"
    async with joined(dev_server, room) as watcher:
        history = await receive_action(watcher, "chat_history")
    last_seq = max([m["seq"] for m in history["payload"]["messages"]], default=0)

    async with joined(dev_server, room) as sender:
        await receive_action(sender, "chat_history")
        sent = await send_many(sender, 50)

    async with joined(dev_server, room, last_seq=last_seq) as watcher:
        replayed = await messages_until_resumed(watcher)

    assert [m["seq"] for m in replayed] == sent == list(range(last_seq + 1, last_seq + 51))
    assert [m["message"] for m in replayed] == [f"m{n}" for n in range(50)]


async def test_a_client_moving_to_another_server_process_resumes_without_gap_or_duplicate(
    server_pair: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = server_pair
    room = "resume-pair"
    seen: list[int] = []
    async with joined(second, room) as sender:
        await receive_action(sender, "chat_history")
        async with joined(first, room) as watcher:
            await receive_action(watcher, "chat_history")
            await send_many(sender, 20)
            for _ in range(10):  # read part of it live, then drop the connection
                frame = await receive_action(watcher, "new_chat_message", ignore=QUIET)
                seen.append(frame["payload"]["seq"])
        await send_many(sender, 30, start=20)

        async with joined(second, room, last_seq=seen[-1]) as watcher:
            seen += [m["seq"] for m in await messages_until_resumed(watcher)]
            await send_many(sender, 1, start=50)
            frame = await receive_action(watcher, "new_chat_message", ignore=QUIET)
            seen.append(frame["payload"]["seq"])

    assert seen == list(range(1, 52))


async def test_a_message_sent_to_one_process_reaches_clients_of_the_other(
    server_pair: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = server_pair
    async with joined(first, "pair-live") as alice, joined(second, "pair-live") as bob:
        for ws in (alice, bob):
            await receive_action(ws, "chat_history")
            await receive_action(ws, "presence_state")

        await send_json(
            alice, {"action": "new_chat_message", "payload": {"message": "across", "name": "A"}}
        )

        assert (await receive_action(bob, "new_chat_message"))["payload"]["message"] == "across"
        assert (await receive_action(alice, "message_accepted"))["payload"]["seq"] == 1
