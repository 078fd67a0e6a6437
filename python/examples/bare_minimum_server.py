# vidgear's "Bare-Minimum Usage with OpenCV" (Bidirectional Mode), server end.
# import library
from netgear_rs import NetGear_Async
import cv2, asyncio
from fallback import video

# activate Bidirectional mode
options = {"bidirectional_mode": True}

# initialize Server without any source
server = NetGear_Async(source=None, logging=True, **options)

# Create a async frame generator as custom source
async def my_frame_generator():

    # !!! define your own video source here !!!
    # Open any valid video stream(for e.g `foo.mp4` file)
    stream = cv2.VideoCapture(video("foo.mp4"))

    # loop over stream until its terminated
    while True:
        # read frames
        (grabbed, frame) = stream.read()

        # check for empty frame
        if not grabbed:
            break

        # {do something with the frame to be sent here}

        # prepare data to be sent(a simple text in our case)
        target_data = "Hello, I am a Server."

        # receive data from Client
        recv_data = await server.transceive_data()

        # print data just received from Client
        if not (recv_data is None):
            print(recv_data)

        # send our frame & data
        yield (target_data, frame)

        # sleep for sometime
        await asyncio.sleep(0)

    # safely close video stream
    stream.release()


if __name__ == "__main__":
    # set event loop
    asyncio.set_event_loop(server.loop)
    # Add your custom source generator to Server configuration
    server.config["generator"] = my_frame_generator()
    # Launch the Server
    server.launch()
    try:
        # run your main function task until it is complete
        server.loop.run_until_complete(server.task)
    except (KeyboardInterrupt, SystemExit):
        # wait for interrupts
        pass
    finally:
        # finally close the server
        server.close()
