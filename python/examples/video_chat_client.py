# vidgear's "Using Bidirectional Mode for Video-Frames Transfer" (video chat), client end.
# import libraries
from netgear_rs import NetGear_Async
from netgear_rs.helper import reducer
import cv2, asyncio
from fallback import video, window as cv2  # cv2.imshow where a window can be shown

# activate Bidirectional mode
options = {"bidirectional_mode": True}

# define and launch Client with `receive_mode=True`
client = NetGear_Async(pattern=1, receive_mode=True, logging=True, **options).launch()

# Create a async function where you want to show/manipulate your received frames
async def main():
    # !!! define your own video source here !!!
    # again open the same video stream for comparison
    stream = cv2.VideoCapture(video("foo.mp4"))
    # loop over Client's Asynchronous Frame Generator
    async for (server_data, frame) in client.recv_generator():

        # check for server data
        if not (server_data is None):

            # {do something with the server data here}

            # lets print extracted server data
            print(server_data)

        # {do something with received frames here}

        # Show output window
        cv2.imshow("Output Frame", frame)
        key = cv2.waitKey(1) & 0xFF

        # read frame target data from stream to be sent to server
        (grabbed, target_data) = stream.read()
        # check for frame
        if grabbed:
            # reducer frames size if you want more performance, otherwise comment this line
            target_data = await reducer(
                target_data, percentage=30
            )  # reduce frame by 30%
            # send our frame data
            await client.transceive_data(data=target_data)

        # await before continuing
        await asyncio.sleep(0)

    # safely close video stream
    stream.release()


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
