# vidgear's "Bare-Minimum Usage with OpenCV" (Bidirectional Mode), client end.
# import libraries
from netgear_rs import NetGear_Async
import cv2, asyncio
from fallback import window as cv2  # cv2.imshow where a window can be shown

# activate Bidirectional mode
options = {"bidirectional_mode": True}

# define and launch Client with `receive_mode=True`
client = NetGear_Async(receive_mode=True, logging=True, **options).launch()


# Create a async function where you want to show/manipulate your received frames
async def main():
    # loop over Client's Asynchronous Frame Generator
    async for (data, frame) in client.recv_generator():

        # do something with receive data from server
        if not (data is None):
            # let's print it
            print(data)

        # {do something with received frames here}

        # Show output window(comment these lines if not required)
        cv2.imshow("Output Frame", frame)
        cv2.waitKey(1) & 0xFF

        # prepare data to be sent
        target_data = "Hi, I am a Client here."
        # send our data to server
        await client.transceive_data(data=target_data)

        # await before continuing
        await asyncio.sleep(0)


if __name__ == "__main__":
    # Set event loop to client's
    asyncio.set_event_loop(client.loop)
    try:
        # run your main function task until it is complete
        client.loop.run_until_complete(main())
    except (KeyboardInterrupt, SystemExit):
        # wait for interrupts
        pass

    # close all output window
    cv2.destroyAllWindows()

    # safely close client
    client.close()
